"""M/M/1 in plain SimPy 4.1.2, the same model as bench/kernel-vs-simpy.ts (process API):
a source process, one process per customer, a capacity-1 Resource. Service time drawn at
arrival. Prints one JSON line: customers, wall and CPU seconds, customers per wall and per
CPU second, mean wait/system.

Run: python3 bench/simpy/mm1.py CUSTOMERS [LAMBDA] [MU] [SEED]
"""
import json
import random
import sys
import time

import simpy


def main() -> None:
    customers = int(sys.argv[1])
    lam = float(sys.argv[2]) if len(sys.argv) > 2 else 0.7
    mu = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    rng = random.Random(seed)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    tally = {"done": 0, "wait": 0.0, "system": 0.0}

    def customer(service):
        arrived = env.now
        with server.request() as req:
            yield req
            tally["wait"] += env.now - arrived
            yield env.timeout(service)
        tally["system"] += env.now - arrived
        tally["done"] += 1

    def source():
        for _ in range(customers):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(rng.expovariate(mu)))

    env.process(source())
    t0 = time.perf_counter()
    c0 = time.process_time()
    env.run()
    cpu = time.process_time() - c0
    wall = time.perf_counter() - t0
    print(json.dumps({
        "simpy": simpy.__version__,
        "customers": tally["done"],
        "wall_s": wall,
        "per_s": tally["done"] / wall,
        "cpu_s": cpu,
        "per_cpu_s": tally["done"] / cpu,
        "mean_wait": tally["wait"] / tally["done"],
        "mean_system": tally["system"] / tally["done"],
    }))


if __name__ == "__main__":
    main()
