/**
 * The namespace and the reap behind `lab down`, without a lab: a real namespace with the
 * lab's resolver, processes inside it and on the host that carry the state dir, and a reap
 * that must leave none of them, no namespace, no /etc/netns dir and no mount.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, labProcesses, reapLab } from '../../lib/lab/cleanup';
import { resolveLabConfig } from '../../lib/lab/config';
import {
  decideNetns,
  namespaceExists,
  namespaceMounts,
  namespacePids,
  nsExec,
  setupNamespace,
  teardownNamespace,
} from '../../lib/lab/netns';
import { topology } from '../../lib/lab/topology';
import { prerequisites, ROOT } from '../helpers/prereq';

const NAME = `supns-${process.pid}`;
const HOME = `/tmp/stampede-supns-${process.pid}`;
process.env.STAMPEDE_LAB_HOME = HOME;
const cfg = resolveLabConfig([], [`lab.name=${NAME}`, 'lab.octet=2', 'regions.names=eastus,westus']);
const topo = topology(cfg, { netns: true, octet: 2 });
const isRoot = process.getuid?.() === 0;

afterAll(() => {
  teardownNamespace(topo.namespace);
  rmSync(HOME, { recursive: true, force: true });
});

const sh = (cmd: string[]) =>
  execFileSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8', timeout: 5000 });

describe('netns decision', () => {
  it('off is off; auto uses a namespace exactly when root can create one', () => {
    expect(decideNetns('off')).toMatchObject({ netns: false, reason: 'lab.netns=off' });
    const auto = decideNetns('auto');
    if (isRoot) expect(auto.netns).toBe(true);
    else expect(auto).toMatchObject({ netns: false, reason: 'not running as root' });
    // the probe namespace never outlives the probe
    expect(sh(['ip', 'netns', 'list'])).not.toContain(`stampede-probe-${process.pid}`);
  });
});

describe.runIf(prerequisites('the lab namespace', [ROOT]))('the lab namespace', () => {
  it('has lo up, routes all of 127/8 locally, and its own resolv.conf and hosts', () => {
    setupNamespace(topo);
    expect(namespaceExists(topo.namespace)).toBe(true);
    expect(sh(['ip', '-n', topo.namespace, 'route', 'show', 'table', 'local'])).toMatch(
      /local 127\.0\.0\.0\/8 dev lo/,
    );
    // `ip netns exec` bind-mounts /etc/netns/<ns>/* over /etc/* for the command only
    expect(sh([...nsExec(topo.namespace), 'cat', '/etc/resolv.conf'])).toContain('nameserver 127.2.0.53');
    expect(sh([...nsExec(topo.namespace), 'cat', '/etc/hosts'])).not.toContain(topo.domain);
    expect(readFileSync('/etc/resolv.conf', 'utf8')).not.toContain('127.2.0.53');
    // a lab address binds inside the namespace without being added to lo
    const py = "import socket; s=socket.socket(); s.bind(('127.2.10.1', 8080)); s.listen(); print('bound')";
    expect(sh([...nsExec(topo.namespace), 'python3', '-c', py]).trim()).toBe('bound');
    expect(namespaceMounts(topo.namespace).length).toBe(1);
  });

  it('setting up again replaces a stale namespace', () => {
    setupNamespace(topo);
    expect(namespaceExists(topo.namespace)).toBe(true);
  });

  it('reapLab kills the lab processes in the namespace and on the host, then removes it all', async () => {
    mkdirSync(topo.stateDir, { recursive: true });
    const inside = spawn(
      nsExec(topo.namespace)[0] as string,
      [...nsExec(topo.namespace).slice(1), 'sleep', '60'],
      {
        stdio: 'ignore',
      },
    );
    // on the host: found only by the state dir on its command line, like an orphaned registry
    const host = spawn(
      'bash',
      ['-c', `exec -a "registry ${topo.stateDir}/regions/eastus/config.yml" sleep 60`],
      {
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && namespacePids(topo.namespace).length === 0)
      await new Promise((r) => setTimeout(r, 50));
    expect(namespacePids(topo.namespace)).toContain(inside.pid);
    expect(labProcesses(topo.stateDir)).toContain(host.pid);
    const killed = await reapLab(topo, 1000);
    expect(killed).toEqual(expect.arrayContaining([inside.pid, host.pid]));
    expect(isAlive(inside.pid as number)).toBe(false);
    expect(isAlive(host.pid as number)).toBe(false);
    expect(namespaceExists(topo.namespace)).toBe(false);
    expect(existsSync(`/etc/netns/$topo.namespace`)).toBe(false);
    expect(namespaceMounts(topo.namespace)).toEqual([]);
    // idempotent
    expect(await reapLab(topo, 1000)).toEqual([]);
  });
});
