/**
 * Push spans that vary from push to push: ln T ~ Normal(mu, sigma). Under a resolver that
 * re-resolves every request against a strict alternation of interval I (uniform phase), a
 * push of span T goes through whole with probability (1 - T / I)+, so
 *   share scattered = 1 - E[(1 - T / I)+] = 1 - [Phi(a) - (m / I) Phi(a - sigma)],
 *   a = (ln I - mu) / sigma, m = E[T] = exp(mu + sigma^2 / 2)
 * (the partial expectation of a lognormal). The spans a run measures are those of whole
 * pushes only: selected with that same probability, so long pushes are under-represented
 * and pushes longer than I never appear. `fitSelectedLognormal` fits mu and sigma by the
 * likelihood of the whole spans under that selection, which carries the tail beyond I that
 * a reweighting of the seen spans cannot (it has no span there to weight).
 */
import { nelderMead } from '../../experiments/nelder-mead';

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** E[(1 - T / I)+] for ln T ~ Normal(mu, sigma): the probability a push goes through whole. */
export function wholeProbability(mu: number, sigma: number, I: number): number {
  if (sigma <= 0) return Math.max(0, 1 - Math.exp(mu) / I);
  const a = (Math.log(I) - mu) / sigma;
  const m = Math.exp(mu + (sigma * sigma) / 2);
  return Math.max(0, normalCdf(a) - (m / I) * normalCdf(a - sigma));
}

/** mu of a lognormal with mean `mean` and log-sd `sigma`. */
export const muOfMean = (mean: number, sigma: number) => Math.log(mean) - (sigma * sigma) / 2;

export interface SpanFit {
  /** E[T], s. */
  meanS: number;
  sigma: number;
  /** The scattered share the fit implies at I: 1 - wholeProbability. */
  scatterShare: number;
}

/**
 * Fits ln T ~ Normal(mu, sigma) to the spans (s) of pushes that went through whole, each
 * seen with probability (1 - T / I): maximises sum(ln f(t_i)) - n ln E[(1 - T / I)+].
 */
export function fitSelectedLognormal(spansS: readonly number[], I: number): SpanFit {
  const logs = spansS.map((t) => Math.log(Math.max(t, 1e-4)));
  const n = logs.length;
  const mean0 = logs.reduce((a, b) => a + b, 0) / n;
  const sd0 = Math.sqrt(logs.reduce((a, b) => a + (b - mean0) ** 2, 0) / n) || 0.05;
  const nll = ([mu, lnSigma]: number[]) => {
    const sigma = Math.exp(lnSigma as number);
    const z2 = logs.reduce((a, l) => a + ((l - (mu as number)) / sigma) ** 2, 0);
    const whole = wholeProbability(mu as number, sigma, I);
    return n * Math.log(sigma) + z2 / 2 + n * Math.log(Math.max(whole, 1e-12));
  };
  const { x } = nelderMead(nll, [mean0, Math.log(sd0)], {
    step: 0.2,
    maxEvaluations: 2000,
    tolerance: 1e-10,
  });
  const mu = x[0] as number;
  const sigma = Math.exp(x[1] as number);
  return {
    meanS: Math.exp(mu + (sigma * sigma) / 2),
    sigma,
    scatterShare: 1 - wholeProbability(mu, sigma, I),
  };
}
