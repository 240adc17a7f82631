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
import { ROOT } from './root';

export const rootCommand = defineCommand({
  ...ROOT,
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
