/**
 * `stampede run copy-sweep`'s parameters: the cold-pull scenario run once per point, a point
 * per (copies, vus) pair against the lab (the lab's copy count changed between points, a
 * fresh image per point), per (vus, image) pair against a registry URL (ACR manages its
 * copies itself: what a user varies there is the fleet and the image). Defaults live here.
 */
import { type Infer, int, num, numList, strList } from '../../config/schema';

const IMAGE = /^[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;

export const copySweepRunSchema = {
  copies: numList({
    default: [1, 2, 4, 8],
    integer: true,
    min: 1,
    max: 64,
    doc: 'lab only: copies per layer, one point each (at most the lab storage.backends)',
  }),
  vus: numList({
    default: [200],
    integer: true,
    min: 1,
    max: 5000,
    doc: 'VUs (nodes pulling at once); every copy count runs at every entry',
  }),
  layers: numList({
    default: [1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20],
    integer: true,
    min: 1,
    max: 2 ** 31,
    unit: 'B',
    doc: 'lab only: layer sizes of the image seeded fresh for every point (a cold pull each time)',
  }),
  ceilingBps: num({
    default: 0,
    min: 0,
    unit: 'B/s',
    doc: "lab only: per-backend egress ceiling set for the sweep (0 = keep the lab's)",
  }),
  images: strList({
    default: ['stampede/cold-pull:v1'],
    pattern: IMAGE,
    doc: 'registry URL only: images to pull (e.g. of different sizes), one point each per VU count',
  }),
  maxRetries: int({
    default: 20,
    min: 0,
    max: 50,
    doc: 'retries per request on 429/503 (Retry-After honoured)',
  }),
  parallelLayers: int({ default: 3, min: 1, max: 16, doc: 'layers fetched at once per pull' }),
  verifySample: num({
    default: 0.05,
    gt: 0,
    max: 1,
    doc: 'share of pulls whose digests are verified; the rest keep no bodies (k6 memory)',
  }),
  maxDurationS: num({ default: 600, gt: 0, max: 86_400, unit: 's', doc: 'hard cap on each point' }),
};

export type CopySweepRunParams = Infer<typeof copySweepRunSchema>;
