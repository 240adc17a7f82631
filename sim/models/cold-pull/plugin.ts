/** `stampede sim cold-pull`: one storm, every node pulling the same image at t = 0. */
import { InputError } from '../../../lib/errors';
import { formatSeconds } from '../../../reports/format';
import { defineModel } from '../../experiments/model';
import { nodeRecords, stormTable } from './output';
import { coldPullSchema } from './params';
import { runColdPull } from './storm';

export const coldPullModel = defineModel({
  name: 'cold-pull',
  summary: 'one cold-pull storm: every node pulls the same image at once',
  help: `Every node pulls the same image cold at t=0 from a pool of storage backends holding
storage.copies copies of each layer. Prints pod-startup percentiles, throttling and peak
per-backend egress; writes summary.json, raw.ndjson (one record per node) and report.html.

  stampede sim cold-pull --preset acr-copies-2026 --set storage.copies=6`,
  schema: coldPullSchema,
  defaultPreset: 'acr-copies-2026',
  presetModel: 'copy-sweep',
  validate(p) {
    if (p.storage.copies > p.storage.backends)
      throw new InputError('storage.copies', `<= storage.backends (${p.storage.backends})`, p.storage.copies);
  },
  run(p, seed, io) {
    const nodes = p.workload.nodes;
    // One storm has no points to count: count its nodes as they become ready.
    const run = runColdPull(p, seed, (t, ready) =>
      io.progress(ready, nodes, `nodes ready at t = ${formatSeconds(t)} simulated`),
    );
    const label = `C=${p.storage.copies}`;
    io.raw(nodeRecords(label, run));
    io.progress(1, 1, label);
    const point = { label, params: { 'storage.copies': p.storage.copies }, metrics: run.metrics };
    return { metrics: run.metrics, points: [point], events: run.events };
  },
  table: stormTable,
});
