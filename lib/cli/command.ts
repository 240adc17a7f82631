/**
 * Commands are plain data (after unjs/citty's defineCommand): name, help text, flags and a
 * run function. The runner parses raw argv with node's strict parseArgs, prints `--help`
 * generated from the same data, and maps thrown errors to the exit codes of the contract.
 */
import { parseArgs } from 'node:util';
import { InputError, StampedeError } from '../errors';

export interface FlagDef {
  type: 'string' | 'boolean';
  description: string;
  multiple?: boolean;
  short?: string;
  /** Placeholder shown in help, e.g. FILE, NAME, path=value. */
  hint?: string;
  default?: string | boolean;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal: progress lines redraw in place there. */
  readonly tty: boolean;
}

export interface Ctx {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Arguments after a literal `--`, untouched (for `lab exec -- <command>`). */
  rest: string[];
  io: Io;
}

export interface Command {
  name: string;
  summary: string;
  /** Longer help: what it does, what it writes, one or two examples. */
  help?: string;
  usage?: string;
  flags?: Record<string, FlagDef>;
  /** What the command takes besides flags (e.g. '<scenario>'); without it, none is accepted. */
  positionals?: string;
  subCommands?: Record<string, Command>;
  run?(ctx: Ctx): Promise<number | undefined> | number | undefined;
}

export const defineCommand = (c: Command): Command => c;

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  tty: Boolean(process.stderr.isTTY),
};

export function helpText(cmd: Command, path: string[]): string {
  const lines: string[] = [];
  const full = path.join(' ');
  lines.push(`${full} - ${cmd.summary}`, '');
  lines.push(`Usage: ${cmd.usage ?? `${full}${cmd.subCommands ? ' <command>' : ''} [flags]`}`);
  if (cmd.help) lines.push('', cmd.help.trim());
  if (cmd.subCommands) {
    lines.push('', 'Commands:');
    const width = Math.max(...Object.keys(cmd.subCommands).map((k) => k.length));
    for (const [k, sub] of Object.entries(cmd.subCommands))
      lines.push(`  ${k.padEnd(width)}  ${sub.summary}`);
    lines.push('', `Run '${full} <command> --help' for a command's flags.`);
  }
  const flags = { ...(cmd.flags ?? {}), help: { type: 'boolean', description: 'show this help' } as FlagDef };
  lines.push('', 'Flags:');
  for (const [k, f] of Object.entries(flags)) {
    const name = `${f.short ? `-${f.short}, ` : ''}--${k}${f.type === 'string' ? ` ${f.hint ?? 'VALUE'}` : ''}`;
    const extra = [f.multiple ? 'repeatable' : '', f.default !== undefined ? `default: ${f.default}` : '']
      .filter(Boolean)
      .join('; ');
    lines.push(`  ${name.padEnd(28)} ${f.description}${extra ? ` (${extra})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs a command tree against raw argv; returns the process exit code. */
export async function runCommand(root: Command, argv: string[], io: Io = processIo): Promise<number> {
  const path = [root.name];
  let cmd = root;
  let args = argv;
  try {
    while (cmd.subCommands && args.length > 0 && !args[0]?.startsWith('-')) {
      const name = args[0] as string;
      const sub = cmd.subCommands[name];
      if (!sub)
        throw new InputError(
          `${path.join(' ')} <command>`,
          `one of ${Object.keys(cmd.subCommands).join(', ')}`,
          name,
        );
      cmd = sub;
      path.push(name);
      args = args.slice(1);
    }
    const dashdash = args.indexOf('--');
    const rest = dashdash >= 0 ? args.slice(dashdash + 1) : [];
    const own = dashdash >= 0 ? args.slice(0, dashdash) : args;
    if (own.includes('--help') || own.includes('-h') || (!cmd.run && own.length === 0)) {
      io.out(helpText(cmd, path));
      return 0;
    }
    if (!cmd.run)
      throw new InputError(
        `${path.join(' ')} <command>`,
        `one of ${Object.keys(cmd.subCommands ?? {}).join(', ')}`,
        own[0],
      );
    const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
    for (const [k, f] of Object.entries(cmd.flags ?? {})) {
      options[k] = {
        type: f.type,
        ...(f.multiple ? { multiple: true } : {}),
        ...(f.short ? { short: f.short } : {}),
      };
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: own, options, allowPositionals: true, strict: true });
    } catch (e) {
      throw flagError(e as Error & { code?: string }, own, path.join(' '), options);
    }
    // A stray word (a preset name without --preset, say) must not be silently ignored.
    if (!cmd.positionals && parsed.positionals.length > 0)
      throw new InputError(
        path.join(' '),
        `flags only (see '${path.join(' ')} --help')`,
        parsed.positionals.join(' '),
      );
    const flags: Ctx['flags'] = {};
    for (const [k, f] of Object.entries(cmd.flags ?? {}))
      flags[k] = (parsed.values[k] as Ctx['flags'][string]) ?? f.default;
    const code = await cmd.run({ flags, positionals: parsed.positionals, rest, io });
    return code ?? 0;
  } catch (e) {
    if (e instanceof StampedeError) {
      io.err(`stampede: ${e.message} [${e.code}]`);
      if (e.exitCode === 2) io.err(`Run '${path.join(' ')} --help' for usage.`);
      return e.exitCode;
    }
    io.err(`stampede: unexpected failure: ${(e as Error)?.stack ?? String(e)}`);
    return 1;
  }
}

/** A flag used the wrong way, said in full (parseArgs' own text is long and cut short). */
export class FlagError extends StampedeError {
  readonly flag: string;
  constructor(flag: string, message: string, code = 'BAD_FLAG') {
    super(code, `${flag}: ${message}`, 2);
    this.flag = flag;
  }
}

/** node:util parseArgs's error, said in the CLI's own terms and naming the flag. */
function flagError(
  e: Error & { code?: string },
  args: string[],
  command: string,
  options: Record<string, { type: string; short?: string }>,
): StampedeError {
  // parseArgs quotes the flag as typed ('--bogus', '-x') or as declared ('-s, --seed <value>').
  const long = /--([^\s'=<]+)/.exec(e.message)?.[1];
  const typed = long !== undefined ? `--${long}` : (/'(-[^\s']+)'/.exec(e.message)?.[1] ?? command);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return new FlagError(typed, `unknown flag (see '${command} --help')`, 'UNKNOWN_FLAG');
  if (e.code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return new FlagError(command, e.message.replace(/\s+/g, ' '));
  const def = long !== undefined ? options[long] : undefined;
  if (def?.type === 'boolean') {
    const given = args.find((a) => a.startsWith(`${typed}=`));
    return new FlagError(
      typed,
      `expected no value (it is a switch: write ${typed} alone), received ${JSON.stringify(given?.slice(typed.length + 1) ?? '')}`,
    );
  }
  // The first use of the flag with no value after it, or a dash word after it.
  const names = new Set([typed, ...(def?.short ? [`-${def.short}`] : [])]);
  const at = args.findIndex(
    (a, i) => names.has(a) && (i === args.length - 1 || args[i + 1]?.startsWith('-')),
  );
  const next = at >= 0 ? args[at + 1] : undefined;
  if (next === undefined) return new FlagError(typed, 'expected a value, received nothing');
  if (isFlagWord(next, options))
    return new FlagError(
      typed,
      `expected a value, received nothing (${next.split('=')[0]} is the next flag; write ${typed}=${next} if that is the value)`,
    );
  // parseArgs will not take "-1" as a value: it looks like a flag.
  return new FlagError(
    typed,
    `expected a value, received ${JSON.stringify(next)} (write ${typed}=${next} for values starting with -)`,
  );
}

/** Whether a word names one of the command's flags (--name, --name=..., -s) or --help. */
function isFlagWord(word: string, options: Record<string, { short?: string }>): boolean {
  if (word === '--' || word === '-h' || word === '--help') return true;
  if (word.startsWith('--')) return Object.hasOwn(options, word.slice(2).split('=')[0] as string);
  return Object.values(options).some((o) => o.short !== undefined && word.startsWith(`-${o.short}`));
}

/** Flag helpers that keep each command's run() free of type juggling. */
export function flagString(ctx: Ctx, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === 'string' ? v : undefined;
}
export function flagList(ctx: Ctx, name: string): string[] {
  const v = ctx.flags[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
export function flagInt(ctx: Ctx, name: string, fallback: number): number {
  const v = flagString(ctx, name);
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v)) throw new InputError(`--${name}`, 'an integer', v);
  return Number(v);
}
