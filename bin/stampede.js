#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly (cached), so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
// `stampede ... | head` closes the pipe early: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
