/**
 * Benchmark: the same M/M/1 queue (lambda 0.7, mu 1, service drawn at arrival) in
 *   (a) the kernel's process API (sim/kernel/process.ts: a source process, one process
 *       per customer, a capacity-1 Resource), as SimPy models it;
 *   (b) the kernel's callback API (Env.schedule, a FIFO of arrival times);
 *   (c) plain SimPy 4.1.2 (bench/simpy/mm1.py), installed idempotently into
 *       .tools/simpy-venv with pip.
 * Same customer count for all three. Prints customers/s (median of the JS repeats after one
 * discarded warm-up run; SimPy runs once by default as it is slow), the ratios to SimPy, and
 * each model's mean time in system against the closed form 1/(mu - lambda) as a check
 * that the three are the same queue.
 * Targets (issue 11): process API >= 20x SimPy, callback API >= 30x.
 * Run: npx tsx bench/kernel-vs-simpy.ts [customers=200000] [jsRepeats=5] [simpyRepeats=1]
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, Env, ProcessEnv, type ProcessGenerator, Resource } from '../sim/kernel';

const customers = Number(process.argv[2] ?? 200_000);
const jsRepeats = Number(process.argv[3] ?? 5);
const simpyRepeats = Number(process.argv[4] ?? 1);
const LAMBDA = 0.7;
const MU = 1;
const SEED = 1;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.tools', 'simpy-venv');
const venvPython = join(venv, 'bin', 'python');

interface Result {
  perS: number;
  meanSystem: number;
}

function processApi(): Result {
  const env = new ProcessEnv();
  const server = new Resource(env, 1);
  const rng = createRng(SEED);
  let done = 0;
  let system = 0;
  function* customer(service: number): ProcessGenerator {
    const arrived = env.now;
    const req = server.request();
    yield req;
    yield env.timeout(service);
    server.release(req);
    system += env.now - arrived;
    done++;
  }
  function* source(): ProcessGenerator {
    for (let i = 0; i < customers; i++) {
      yield env.timeout(rng.exponential(1 / LAMBDA));
      env.process(customer(rng.exponential(1 / MU)));
    }
  }
  const t0 = performance.now();
  env.process(source());
  env.run();
  const wall = (performance.now() - t0) / 1000;
  return { perS: done / wall, meanSystem: system / done };
}

function callbackApi(): Result {
  const env = new Env();
  const rng = createRng(SEED);
  let done = 0;
  let system = 0;
  const arrivedAt = new Float64Array(customers);
  const serviceOf = new Float64Array(customers);
  let head = 0;
  let tail = 0;
  let busy = false;
  const depart = (): void => {
    system += env.now - (arrivedAt[head - 1] as number);
    done++;
    busy = false;
    if (head < tail) startNext();
  };
  const startNext = (): void => {
    const service = serviceOf[head] as number;
    head++;
    busy = true;
    env.schedule(service, depart);
  };
  const arrive = (): void => {
    arrivedAt[tail] = env.now;
    serviceOf[tail] = rng.exponential(1 / MU);
    tail++;
    if (!busy) startNext();
    if (tail < customers) env.schedule(rng.exponential(1 / LAMBDA), arrive);
  };
  const t0 = performance.now();
  env.schedule(rng.exponential(1 / LAMBDA), arrive);
  env.run();
  const wall = (performance.now() - t0) / 1000;
  return { perS: done / wall, meanSystem: system / done };
}

/** Creates the venv and installs SimPy 4.1.2 unless it is already there. */
function ensureSimpy(): void {
  const have = (): boolean => {
    if (!existsSync(venvPython)) return false;
    try {
      const v = execFileSync(venvPython, ['-c', 'import simpy; print(simpy.__version__)'], {
        encoding: 'utf8',
      });
      return v.trim() === '4.1.2';
    } catch {
      return false;
    }
  };
  if (have()) return;
  if (!existsSync(venvPython)) execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(venvPython, ['-m', 'pip', 'install', '--quiet', 'simpy==4.1.2'], { stdio: 'inherit' });
  if (!have()) throw new Error(`could not install simpy 4.1.2 into ${venv}`);
}

function simpy(): Result {
  const out = execFileSync(
    venvPython,
    [join(root, 'bench', 'simpy', 'mm1.py'), String(customers), String(LAMBDA), String(MU), String(SEED)],
    { encoding: 'utf8', timeout: 30 * 60_000 },
  );
  const r = JSON.parse(out.trim().split('\n').pop() as string) as {
    customers: number;
    per_s: number;
    mean_system: number;
  };
  if (r.customers !== customers)
    throw new Error(`simpy served ${r.customers} customers, expected ${customers}`);
  return { perS: r.per_s, meanSystem: r.mean_system };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

ensureSimpy();
const closed = 1 / (MU - LAMBDA);
const runs = { process: [] as Result[], callback: [] as Result[], simpy: [] as Result[] };
// One discarded run of each JS variant first: V8 compiles the hot functions during it
// (CPython has no JIT to warm up).
processApi();
callbackApi();
// Interleaved so a burst of load from another job on the machine hits all three alike.
for (let i = 0; i < Math.max(jsRepeats, simpyRepeats); i++) {
  if (i < jsRepeats) runs.process.push(processApi());
  if (i < jsRepeats) runs.callback.push(callbackApi());
  if (i < simpyRepeats) runs.simpy.push(simpy());
}
const rate = (rs: Result[]): number => median(rs.map((r) => r.perS));
const sp = rate(runs.simpy);
const line = (name: string, rs: Result[]): string => {
  const r = rate(rs);
  const sys = (rs[0] as Result).meanSystem;
  return `${name.padEnd(13)} ${Math.round(r).toLocaleString('en-US').padStart(12)} customers/s  (${(r / sp).toFixed(1)}x SimPy; mean time in system ${sys.toFixed(4)}, closed form ${closed.toFixed(4)}; ${rs.length} run${rs.length > 1 ? 's' : ''}: ${rs.map((x) => Math.round(x.perS / 1000)).join('/')} k/s)`;
};
console.log(
  `kernel-vs-simpy: M/M/1, lambda ${LAMBDA}, mu ${MU}, seed ${SEED}, ${customers.toLocaleString('en-US')} customers; Node ${process.version}`,
);
console.log(line('process API', runs.process));
console.log(line('callback API', runs.callback));
console.log(line('SimPy 4.1.2', runs.simpy));
const pr = rate(runs.process) / sp;
const cr = rate(runs.callback) / sp;
console.log(
  `ratios: process/SimPy ${pr.toFixed(1)}x (target >= 20x: ${pr >= 20 ? 'met' : 'MISSED'}), callback/SimPy ${cr.toFixed(1)}x (target >= 30x: ${cr >= 30 ? 'met' : 'MISSED'})`,
);
