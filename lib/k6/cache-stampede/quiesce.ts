/**
 * A run's upstream counts are the lab's global counters before and after it, so an import
 * still running from an earlier run (e.g. the hydration a coalescing-off burst queued, which
 * goes on after its k6 run ends) adds its blob GETs to this run's window: the 40-VU e2e's
 * per-front burst measured 4 and 5 blob GETs for 3 blobs in exactly the CI runs whose
 * preceding off run ended with its hydration still running (ci11, ci13), 3 when it had
 * finished (ci12). A run therefore starts once no front has an import queued or running.
 */

export interface HydrationView {
  fronts: Record<string, { hydration: Array<{ image: string; state: string }> }>;
}

/** Imports queued or running on any front, as `<region> <image>`. */
export function busyImports(cache: HydrationView): string[] {
  return Object.entries(cache.fronts).flatMap(([region, f]) =>
    f.hydration
      .filter((h) => h.state === 'queued' || h.state === 'running')
      .map((h) => `${region} ${h.image}`),
  );
}

export interface QuiesceDeps {
  status(): Promise<HydrationView>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  pollMs?: number;
}

/** Waits (at most `timeoutMs`) until no import is in flight; what is still busy at the end, and the wait. */
export async function waitImportsIdle(
  deps: QuiesceDeps,
  timeoutMs: number,
): Promise<{ waitedMs: number; busy: string[] }> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const t0 = now();
  for (;;) {
    const busy = busyImports(await deps.status());
    if (busy.length === 0 || now() - t0 >= timeoutMs) return { waitedMs: now() - t0, busy };
    await sleep(deps.pollMs ?? 100);
  }
}
