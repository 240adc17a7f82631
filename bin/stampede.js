#!/usr/bin/env node
// Runs the prebuilt bundle dist/stampede.mjs (scripts/build-cli.mjs): starting it takes a
// fraction of compiling the TypeScript sources on the fly. When a source changed since the
// bundle was built (or there is none), it is rebuilt first, with a line on stderr; if that
// build fails (say a syntax error mid-edit), the sources run through tsx as before, so
// the error is reported where it is. `stampede --help` alone runs the small help bundle
// (the root's help text and the commands' summaries: lib/cli/help-entry.ts).
import { existsSync } from 'node:fs';
import { BUNDLE, buildCli, bundleStaleness, HELP_BUNDLE } from '../scripts/build-cli.mjs';

// `stampede ... | head` closes the pipe early: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });

const argv = process.argv.slice(2);
// `stampede`, `stampede --help`, `-h` alone: the root help, from a bundle that loads no command.
const rootHelp = argv.length === 0 || (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h'));

async function loadMain() {
  if (process.env.STAMPEDE_FROM_SOURCE !== '1') {
    // The root help needs only its own few inputs fresh; anything else, the whole CLI's.
    const help = rootHelp && existsSync(HELP_BUNDLE);
    const why = help ? bundleStaleness(HELP_BUNDLE, undefined, undefined, 'helpInputs') : bundleStaleness();
    if (!why) return (await import(help ? HELP_BUNDLE : BUNDLE)).main;
    process.stderr.write(`stampede: rebuilding dist/stampede.mjs (${why})\n`);
    try {
      await buildCli();
      return (await import(BUNDLE)).main;
    } catch (e) {
      // esbuild's own message starts "Build failed with 1 error:"; name the first error.
      const first = e.errors?.[0];
      const why = first
        ? `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}`
        : e.message.split('\n')[0];
      process.stderr.write(`stampede: bundle build failed (${why}); running the sources through tsx\n`);
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../lib/cli/main.ts')).main;
}

const main = await loadMain();
process.exitCode = await main(argv);
