/**
 * The cold-pull scenario (k6 entry: scenarios/cold-pull.ts): N VUs each cold-pull one
 * image. In the lab the image is seeded first; the run fails if any pull failed.
 */
import { prepareLabTarget } from '../lab-target';
import { defineScenario } from '../scenario';
import { type ColdPullParams, coldPullSchema } from './params';
import { coldPullPlan } from './plan';

export const coldPullScenario = defineScenario<ColdPullParams>({
  name: 'cold-pull',
  summary: 'N VUs each cold-pull one image: token flow, manifest, every layer via the 307 to storage',
  schema: coldPullSchema,
  script: 'cold-pull',
  labOnly: ['layers', 'seed', 'registry', 'endpoint'],
  prepareLab: (lab, p) => prepareLabTarget(lab, p),
  plan: coldPullPlan,
  progress: { metric: 'pulls', unit: 'pulls', total: (p) => p.vus * p.iterations },
  maxDurationS: (p) => p.maxDurationS,
  verdict(envelope) {
    const m = envelope.metrics as {
      pulls?: { ok: number; failed: number };
      pullS?: { p50: number; p99: number };
    };
    const ok = m.pulls?.ok ?? 0;
    const failed = m.pulls?.failed ?? 0;
    return {
      exitCode: failed > 0 || ok === 0 ? 1 : 0,
      line: `${ok} ok, ${failed} failed; pull ${m.pullS ? `p50 ${m.pullS.p50.toFixed(2)}s p99 ${m.pullS.p99.toFixed(2)}s` : 'n/a (no pull finished)'}`,
    };
  },
});
