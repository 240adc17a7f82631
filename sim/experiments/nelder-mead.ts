/**
 * Nelder-Mead simplex minimisation (standard coefficients: reflect 1, expand 2, contract
 * 0.5, shrink 0.5). Derivative-free, which is what a simulator's objective needs: with a
 * fixed seed it is deterministic but piecewise flat, so gradients mean nothing.
 */
export interface NelderMeadResult {
  x: number[];
  f: number;
  evaluations: number;
  iterations: number;
}

export function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  opts: {
    step: number;
    maxEvaluations: number;
    tolerance?: number;
    onStep?: (best: number, evals: number) => void;
  },
): NelderMeadResult {
  const n = x0.length;
  let evals = 0;
  const F = (x: number[]) => {
    evals++;
    return f(x);
  };
  const simplex: Array<{ x: number[]; f: number }> = [{ x: x0.slice(), f: F(x0) }];
  for (let i = 0; i < n; i++) {
    const x = x0.slice();
    x[i] = (x[i] as number) + opts.step;
    simplex.push({ x, f: F(x) });
  }
  const tol = opts.tolerance ?? 1e-6;
  let iterations = 0;
  const lerp = (a: number[], b: number[], t: number) => a.map((v, i) => v + t * ((b[i] as number) - v));
  while (evals < opts.maxEvaluations) {
    iterations++;
    simplex.sort((a, b) => a.f - b.f);
    const best = simplex[0] as { x: number[]; f: number };
    const worst = simplex[n] as { x: number[]; f: number };
    opts.onStep?.(best.f, evals);
    if (Math.abs(worst.f - best.f) <= tol * (Math.abs(best.f) + tol)) break;
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) centroid[j] = (centroid[j] as number) + (simplex[i]?.x[j] as number) / n;
    const xr = lerp(centroid, worst.x, -1);
    const fr = F(xr);
    const second = simplex[n - 1] as { x: number[]; f: number };
    if (fr < best.f) {
      const xe = lerp(centroid, worst.x, -2);
      const fe = F(xe);
      simplex[n] = fe < fr ? { x: xe, f: fe } : { x: xr, f: fr };
    } else if (fr < second.f) {
      simplex[n] = { x: xr, f: fr };
    } else {
      const outside = fr < worst.f;
      const xc = lerp(centroid, outside ? xr : worst.x, 0.5);
      const fc = F(xc);
      if (fc < Math.min(fr, worst.f)) {
        simplex[n] = { x: xc, f: fc };
      } else {
        for (let i = 1; i <= n; i++) {
          const xs = lerp(best.x, (simplex[i] as { x: number[] }).x, 0.5);
          simplex[i] = { x: xs, f: F(xs) };
        }
      }
    }
  }
  simplex.sort((a, b) => a.f - b.f);
  const top = simplex[0] as { x: number[]; f: number };
  return { x: top.x, f: top.f, evaluations: evals, iterations };
}
