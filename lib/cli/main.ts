/** The `stampede` command tree; each command lives in its own file under commands/. */
import { defineCommand, runCommand } from './command';
import { baselineCommand } from './commands/baseline';
import { bundleCommand } from './commands/bundle';
import { demoCommand } from './commands/demo';
import { gateCommand } from './commands/gate';
import { k6OperatorCommand } from './commands/k6-operator';
import { labCommand } from './commands/lab';
import { reportCommand } from './commands/report';
import { runScenarioCommand } from './commands/run';
import { simCommand } from './commands/sim';

export const rootCommand = defineCommand({
  name: 'stampede',
  summary: 'load tests and chaos simulation for geo-replicated container registries',
  help: `
Simulate a 1,000-node cold-pull storm, drive real registries with k6, and get an HTML
report for every run.

  stampede demo                               local lab + simulations, ends with a report path
  stampede sim copy-sweep --preset acr-copies-2026
  stampede lab up --detach && stampede run cold-pull --target lab
  stampede report runs/<dir> [runs/<dir> ...]   rebuild or compare reports`,
  subCommands: {
    sim: simCommand,
    lab: labCommand,
    run: runScenarioCommand,
    report: reportCommand,
    demo: demoCommand,
    gate: gateCommand,
    baseline: baselineCommand,
    bundle: bundleCommand,
    'k6-operator': k6OperatorCommand,
  },
});

export function main(argv: string[]): Promise<number> {
  return runCommand(rootCommand, argv);
}
