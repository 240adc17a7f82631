import { describe, expect, it } from 'vitest';
import { defineCommand, type Io, runCommand } from '../../lib/cli/command';
import { InputError, RunError } from '../../lib/errors';

function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    tty: false,
    out(t: string) {
      io.stdout += `${t}\n`;
    },
    err(t: string) {
      io.stderr += `${t}\n`;
    },
  };
  return io;
}

const root = defineCommand({
  name: 'tool',
  summary: 'a test tool',
  subCommands: {
    echo: defineCommand({
      name: 'echo',
      summary: 'echo flags',
      positionals: '<word>...',
      flags: {
        set: { type: 'string', multiple: true, description: 'assignment', hint: 'path=value' },
        seed: { type: 'string', short: 's', description: 'seed' },
        json: { type: 'string', description: 'file' },
        quiet: { type: 'boolean', description: 'switch' },
      },
      run: (ctx) => {
        ctx.io.out(JSON.stringify({ set: ctx.flags.set, pos: ctx.positionals, rest: ctx.rest }));
        return 0;
      },
    }),
    bad: defineCommand({
      name: 'bad',
      summary: 'fails on input',
      run: () => {
        throw new InputError('workload.nodes', 'an integer >= 1', -3);
      },
    }),
    broken: defineCommand({
      name: 'broken',
      summary: 'fails at run time',
      run: () => {
        throw new RunError('K6_FAILED', 'k6 exited 107');
      },
    }),
  },
});

describe('command runner', () => {
  it('prints help for the root, a subcommand and --help', async () => {
    const io = capture();
    expect(await runCommand(root, [], io)).toBe(0);
    expect(io.stdout).toMatch(/echo +echo flags/);
    const io2 = capture();
    expect(await runCommand(root, ['echo', '--help'], io2)).toBe(0);
    expect(io2.stdout).toContain('--set path=value');
    expect(io2.stdout).toContain('repeatable');
  });

  it('passes repeatable flags, positionals and everything after --', async () => {
    const io = capture();
    expect(
      await runCommand(root, ['echo', 'a', '--set', 'x=1', '--set', 'y=2', '--', 'k6', '--vus', '3'], io),
    ).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual({ set: ['x=1', 'y=2'], pos: ['a'], rest: ['k6', '--vus', '3'] });
  });

  it('exits 2 naming the field on bad input, 1 on a failed run', async () => {
    const io = capture();
    expect(await runCommand(root, ['bad'], io)).toBe(2);
    expect(io.stderr).toContain('workload.nodes: expected an integer >= 1, received -3 [BAD_INPUT]');
    const io2 = capture();
    expect(await runCommand(root, ['broken'], io2)).toBe(1);
    expect(io2.stderr).toContain('[K6_FAILED]');
  });

  it('exits 2 on unknown commands and flags', async () => {
    const io = capture();
    expect(await runCommand(root, ['nope'], io)).toBe(2);
    expect(io.stderr).toContain('one of echo, bad, broken');
    const io2 = capture();
    expect(await runCommand(root, ['echo', '--frobnicate'], io2)).toBe(2);
    // The whole sentence, not parseArgs' text cut at 80 characters.
    expect(io2.stderr).toContain(`--frobnicate: unknown flag (see 'tool echo --help') [UNKNOWN_FLAG]`);
    expect(io2.stderr).not.toMatch(/To specify|\.\.\./);
  });

  it('names the flag whose value is missing or looks like a flag', async () => {
    const run = async (...args: string[]) => {
      const io = capture();
      expect(await runCommand(root, ['echo', ...args], io), args.join(' ')).toBe(2);
      return io.stderr.split('\n')[0];
    };
    expect(await run('--seed', '-1')).toBe(
      'stampede: --seed: expected a value, received "-1" (write --seed=-1 for values starting with -) [BAD_FLAG]',
    );
    expect(await run('-s', '-1')).toContain('--seed: expected a value, received "-1"');
    // The first --seed has its value; the second one is the bad one.
    expect(await run('--seed', '3', '--seed', '-2')).toContain('received "-2" (write --seed=-2');
    expect(await run('--seed')).toContain('--seed: expected a value, received nothing [BAD_FLAG]');
    expect(await run('--json', '--seed', '3')).toContain(
      '--json: expected a value, received nothing (--seed is the next flag; write --json=--seed if that is the value)',
    );
    expect(await run('--quiet=yes')).toContain(
      '--quiet: expected no value (it is a switch: write --quiet alone), received "yes"',
    );
  });

  it('rejects positionals a command does not take', async () => {
    const io = capture();
    expect(await runCommand(root, ['bad', 'stray'], io)).toBe(2);
    expect(io.stderr).toContain(`tool bad: expected flags only (see 'tool bad --help'), received "stray"`);
  });
});
