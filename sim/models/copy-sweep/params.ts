/**
 * copy-sweep's parameter tree: the cold-pull storm's, plus the sweep itself. The ladder is
 * an assumption (the post does not publish copy counts): the one the acr-copies-2026
 * calibration chose among sim/experiments/calibrate.ts's candidate LADDERS.
 */
import { type Infer, numList, strList } from '../../../lib/config/schema';
import { coldPullSchema } from '../cold-pull/params';
import { labPhysicsSchema } from '../lab-pull/params';

export const sweepSchema = {
  copies: numList({
    default: [2, 6, 12, 24, 96],
    integer: true,
    min: 1,
    doc: 'copies per layer of each configuration (the only thing that changes between points)',
  }),
  labels: strList({
    default: ['Baseline', 'Low', 'Mid', 'Higher', 'Very high'],
    doc: 'point labels, one per entry of sweep.copies',
  }),
};

export const copySweepSchema = { ...coldPullSchema, sweep: sweepSchema, lab: labPhysicsSchema };

export type CopySweepParams = Infer<typeof copySweepSchema>;
