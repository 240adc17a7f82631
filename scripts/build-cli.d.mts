// Types for scripts/build-cli.mjs (plain JavaScript: it runs before tsx is there).
export const ROOT: string;
export const BUNDLE: string;
export const HELP_BUNDLE: string;
export const SWEEP_WORKER_BUNDLE: string;
export const INPUTS: string;
export function bundleStaleness(
  bundle?: string,
  inputsFile?: string,
  root?: string,
  list?: 'inputs' | 'helpInputs',
): string | undefined;
export function buildCli(): Promise<string>;
