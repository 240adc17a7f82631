/** `lab up --detach --name NAME --set a --set b ...`: the argv the e2e tests start their labs with. */
export function labUpArgs(name: string, ...sets: string[]): string[] {
  return ['up', '--detach', '--name', name, ...sets.flatMap((s) => ['--set', s])];
}
