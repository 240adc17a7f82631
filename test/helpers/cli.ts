/** Runs a command in-process as `stampede <argv>` would, capturing what it prints. */
import { type Command, type Io, runCommand } from '../../lib/cli/command';

export interface Captured {
  code: number;
  out: string;
  err: string;
}

export async function capture(root: Command, argv: readonly string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), tty: false };
  const code = await runCommand(root, [...argv], io);
  return { code, out, err };
}
