/**
 * The bundled CLI's entry for `stampede`, `stampede --help` and `stampede -h` alone: the
 * root help from lib/cli/root.ts, with no command module loaded (bin/stampede.js picks this
 * bundle for exactly those argv). Everything else goes through main.ts.
 */
import { helpText, type Io, processIo } from './command';
import { rootOutline } from './root';

export async function main(_argv: string[], io: Io = processIo): Promise<number> {
  io.out(helpText(rootOutline(), ['stampede']));
  return 0;
}
