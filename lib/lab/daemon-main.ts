/**
 * Entry point of the lab's own processes (spawned by lib/lab/daemon.ts, never by users):
 *   daemon-main.ts guard --state-dir DIR --netns 0|1 --reason TEXT   (host side)
 *   daemon-main.ts serve --state-dir DIR --netns 0|1 --reason TEXT   (the supervisor)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveLabConfig } from './config';
import { CONFIG_FILE, runGuard, runServe } from './daemon';

const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    'state-dir': { type: 'string' },
    netns: { type: 'string', default: '0' },
    reason: { type: 'string', default: '' },
  },
});
const role = positionals[0];
const stateDir = values['state-dir'];
const netns = values.netns === '1';
const reason = values.reason ?? '';
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

try {
  if (!stateDir) throw new Error('--state-dir is required');
  if (role === 'serve') {
    await runServe(stateDir, netns, reason);
  } else if (role === 'guard') {
    const path = join(stateDir, CONFIG_FILE);
    const cfg = resolveLabConfig([{ source: path, tree: JSON.parse(readFileSync(path, 'utf8')) }]);
    process.exitCode = await runGuard(cfg, { decision: { netns, reason }, log });
  } else {
    throw new Error(`unknown role ${role}: expected guard or serve`);
  }
} catch (e) {
  log(`stampede lab ${role}: ${(e as Error)?.stack ?? String(e)}`);
  process.exit(1);
}
