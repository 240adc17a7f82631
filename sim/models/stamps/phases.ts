/**
 * Rebalancing phases as typed (`reg+reg+first..last>DEST@hours`) and the timeline they
 * make: the first cutover comes after day 0's peak window, in the middle of the off-peak
 * hours; each phase is observed for its hours before the next cutover, and its signals
 * are read over the last peak window of that observation.
 */
import { InputError } from '../../../lib/errors';

export interface Phase {
  label: string;
  /** Registry names moved at this cutover (empty for right-sizing). */
  registries: string[];
  /** Destination stamp name; a name starting with "iso" is a new isolation stamp. */
  dest: string;
  hours: number;
  kind: 'move' | 'right-size';
}

export const isIsolation = (stamp: string): boolean => /^iso/i.test(stamp);

/** Expand `cust-11..cust-40` into the names in between (same prefix, zero-padded as typed). */
function expand(token: string, field: string, text: string): string[] {
  const range = /^(.*?)(\d+)\.\.(.*?)(\d+)$/.exec(token);
  if (!range) return [token];
  const [, p1, a, p2, b] = range as unknown as [string, string, string, string, string];
  const from = Number(a);
  const to = Number(b);
  if (p1 !== p2 || to < from || to - from > 100_000)
    throw new InputError(field, 'a range "name-NN..name-MM" with one prefix, NN <= MM', text);
  return Array.from({ length: to - from + 1 }, (_, i) => `${p1}${String(from + i).padStart(a.length, '0')}`);
}

export function parsePhase(text: string, field: string): Phase {
  const m = /^(.+)>([A-Za-z0-9_-]+)(?:@(\d+))?$/.exec(text);
  if (!m) throw new InputError(field, 'registries>DEST or registries>DEST@hours', text);
  const [, regs, dest, hours] = m as unknown as [string, string, string, string | undefined];
  const h = hours === undefined ? 24 : Number(hours);
  // A cutover is made off-peak and read over a whole later peak window: a day at least.
  if (h < 24) throw new InputError(field, 'an observation of at least 24 hours after "@"', text);
  const registries = regs.split('+').flatMap((t) => expand(t, field, text));
  return { label: text, registries, dest, hours: h, kind: 'move' };
}

export interface Timeline {
  /** Minutes simulated. */
  horizon: number;
  /** Start minute of the "before" window (day 0's peak window). */
  before: number;
  /** Per phase: the minute of its cutover and the start of the window its signals are read over. */
  phases: Array<{ phase: Phase; cutover: number; window: number }>;
  /** Start of the window the final ("after") signals are read over. */
  after: number;
}

const DAY = 1440;

export function buildTimeline(phases: readonly Phase[], windowMin: number, days: number): Timeline {
  if (phases.length === 0) {
    const horizon = Math.max(windowMin, Math.round(days * DAY));
    const lastDay = Math.floor((horizon - windowMin) / DAY);
    return { horizon, before: 0, phases: [], after: lastDay * DAY };
  }
  const offPeak = DAY - windowMin;
  let cutover = DAY - offPeak / 2;
  const out: Timeline['phases'] = [];
  for (const phase of phases) {
    const next = cutover + phase.hours * 60;
    // The last whole peak window between this cutover and the next.
    const day = Math.floor((next - windowMin) / DAY);
    out.push({ phase, cutover: Math.round(cutover), window: day * DAY });
    cutover = next;
  }
  const last = out[out.length - 1] as Timeline['phases'][number];
  return { horizon: last.window + windowMin, before: 0, phases: out, after: last.window };
}
