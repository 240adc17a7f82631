// A `--jobs` worker thread (sweep-jobs.ts): plain JavaScript, so it starts the same way under
// the prebuilt CLI bundle, tsx and vitest, then loads the TypeScript worker through tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./sweep-worker.ts', import.meta.url);
