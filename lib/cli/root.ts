/**
 * What `stampede --help` shows, apart from the commands themselves: the root's name,
 * summary and help, and each command's name and one-line summary in the order listed. The
 * bundled CLI answers `stampede --help` from this module alone (lib/cli/help-entry.ts),
 * without loading any command; main.ts builds the real tree from the same root text, and
 * test/cli/bundle-cli.test.ts checks that both print the same help (a summary changed in a
 * command file and not here fails it).
 */
import type { Command } from './command';

export const ROOT = {
  name: 'stampede',
  summary: 'load tests and chaos simulation for geo-replicated container registries',
  help: `
Simulate a 1,000-node cold-pull storm, drive real registries with k6, and get an HTML
report for every run.

  stampede demo                               local lab + simulations, ends with a report path
  stampede sim copy-sweep --preset acr-copies-2026
  stampede lab up --detach && stampede run cold-pull --target lab
  stampede report runs/<dir> [runs/<dir> ...]   rebuild or compare reports`,
} as const;

/** The top-level commands, in help order, with their summaries (as in each command's file). */
export const COMMAND_SUMMARIES: ReadonlyArray<readonly [name: string, summary: string]> = [
  ['sim', 'discrete-event simulations of registry storage under cold-pull storms'],
  ['lab', 'the local geo-replicated registry lab: up, status, fault, storage, exec, down'],
  ['run', 'run a k6 scenario against the local lab or a real registry'],
  ['report', 'build the HTML report of a run, or compare several runs'],
  ['demo', 'the main job on an embedded default: local lab + simulations, ends with a report path'],
  ['gate', 'fail a CI job when a run regressed against a baseline (bootstrap on quantiles)'],
  ['baseline', 'save and list the baselines `stampede gate` compares against'],
  [
    'bundle',
    "write a scenario's self-contained k6 script, for your own k6, Grafana Cloud k6 or the k6-operator",
  ],
  ['k6-operator', 'run a scenario on Kubernetes with the grafana k6-operator (writes the manifest)'],
];

/** The root as help sees it: each command a name and a summary, nothing loaded. */
export function rootOutline(): Command {
  return {
    ...ROOT,
    subCommands: Object.fromEntries(COMMAND_SUMMARIES.map(([name, summary]) => [name, { name, summary }])),
  };
}
