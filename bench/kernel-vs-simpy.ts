/**
 * Benchmark: the same M/M/1 queue (lambda 0.7, mu 1, service drawn at arrival) in
 *   (a) the kernel's process API (sim/kernel/process.ts: a source process, one process
 *       per customer, a capacity-1 Resource), as SimPy models it;
 *   (b) the kernel's callback API (Env.schedule, a FIFO of arrival times);
 *   (c) plain SimPy 4.1.2 (bench/simpy/mm1.py), installed idempotently into
 *       .tools/simpy-venv with pip.
 * Same customer count for all three. Prints customers per wall second and per CPU second
 * (median of the JS repeats after one discarded warm-up run; SimPy runs once by default as
 * it is slow), the ratios to SimPy of both, and
 * each model's mean time in system against the closed form 1/(mu - lambda) as a check
 * that the three are the same queue. On a shared, loaded machine wall time swings with the
 * other jobs (a run of one variant can land in a burst the others miss); CPU time (the
 * process's user + system: Node's includes its GC threads, as SimPy's includes its own
 * collector) swings far less, so the CPU ratio is the one to quote there.
 * Targets (issue 11): process API >= 20x SimPy, callback API >= 30x.
 * Run: npx tsx bench/kernel-vs-simpy.ts [customers=200000] [jsRepeats=5] [simpyRepeats=1]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
  /** Customers per CPU second (user + system of the whole process while it ran). */
  perCpuS: number;
  meanSystem: number;
}

/** Runs fn; its wall and CPU seconds. */
function timed(fn: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
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
  const { wall, cpu } = timed(() => {
    env.process(source());
    env.run();
  });
  return { perS: done / wall, perCpuS: done / cpu, meanSystem: system / done };
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
  const { wall, cpu } = timed(() => {
    env.schedule(rng.exponential(1 / LAMBDA), arrive);
    env.run();
  });
  return { perS: done / wall, perCpuS: done / cpu, meanSystem: system / done };
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
    per_cpu_s: number;
    mean_system: number;
  };
  if (r.customers !== customers)
    throw new Error(`simpy served ${r.customers} customers, expected ${customers}`);
  return { perS: r.per_s, perCpuS: r.per_cpu_s, meanSystem: r.mean_system };
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
const cpuRate = (rs: Result[]): number => median(rs.map((r) => r.perCpuS));
const sp = rate(runs.simpy);
const spCpu = cpuRate(runs.simpy);
const k = (x: number): string => Math.round(x / 1000).toString();
const line = (name: string, rs: Result[]): string => {
  const r = rate(rs);
  const c = cpuRate(rs);
  const sys = (rs[0] as Result).meanSystem;
  return `${name.padEnd(13)} ${Math.round(r).toLocaleString('en-US').padStart(10)} /wall s (${(r / sp).toFixed(1)}x), ${Math.round(c).toLocaleString('en-US').padStart(10)} /CPU s (${(c / spCpu).toFixed(1)}x SimPy); mean time in system ${sys.toFixed(4)}, closed form ${closed.toFixed(4)}; ${rs.length} run${rs.length > 1 ? 's' : ''}, k/wall s ${rs.map((x) => k(x.perS)).join('/')}, k/CPU s ${rs.map((x) => k(x.perCpuS)).join('/')}`;
};
console.log(
  `kernel-vs-simpy: M/M/1, lambda ${LAMBDA}, mu ${MU}, seed ${SEED}, ${customers.toLocaleString('en-US')} customers; Node ${process.version}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
console.log(line('process API', runs.process));
console.log(line('callback API', runs.callback));
console.log(line('SimPy 4.1.2', runs.simpy));
const verdict = (x: number, target: number): string =>
  `${x.toFixed(1)}x (target >= ${target}x: ${x >= target ? 'met' : 'MISSED'})`;
console.log(
  `ratios per wall s: process/SimPy ${verdict(rate(runs.process) / sp, 20)}, callback/SimPy ${verdict(rate(runs.callback) / sp, 30)}`,
);
console.log(
  `ratios per CPU s:  process/SimPy ${verdict(cpuRate(runs.process) / spCpu, 20)}, callback/SimPy ${verdict(cpuRate(runs.callback) / spCpu, 30)}`,
);
