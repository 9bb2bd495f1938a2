"""Benchmark: calibration evaluations in parallel processes, with and without sharing the cores.

Each evaluation is one calibration distance (every calibration trial file, at most
``--n-max`` patients, one Monte-Carlo realization, the shipped point values). ``shared``
runs them with :func:`moodtwin.workers.process_map` (each forked worker's numba kernel
limited to its share of the cores); ``unshared`` with a plain forked pool, as calibration
did before, where every worker's kernel starts one thread per core. Reports wall time per
evaluation and the load average after each mode; the first evaluation (kernel compilation
into numba's disk cache) is timed apart. Research tool, not medical advice.

    python benchmarks/bench_workers.py --workers 2 --evaluations 8 --json workers.json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time

import numba

from moodtwin import ParameterSet
from moodtwin.calibration._abc import trial_distance
from moodtwin.calibration._targets import collect_targets
from moodtwin.workers import cores, process_map

_DISTANCE = None


def _evaluate(_: int) -> float:
    assert _DISTANCE is not None
    return _DISTANCE({})


def _unshared(items: list[int], workers: int) -> list[float]:
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(_evaluate, items)


def main() -> None:
    global _DISTANCE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--evaluations", type=int, default=8)
    ap.add_argument("--n-max", type=int, default=100)
    ap.add_argument("--modes", default="shared,unshared")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    targets = [t for t in collect_targets(None) if t.trial.role == "calibration"]
    _DISTANCE = trial_distance(targets, n_max=args.n_max, seed=0,
                               parameters=ParameterSet.calibrated())
    t0 = time.perf_counter()
    # The first evaluation compiles the kernel into numba's disk cache, in a child process:
    # a process whose parallel kernel has run must not fork (its thread pool does not survive
    # the fork, and the children hang), so this one never runs it.
    d0 = process_map(_evaluate, [0, 1], 2)[0]
    out: dict[str, object] = {
        "cores": cores(), "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "workers": args.workers, "evaluations": args.evaluations, "n_max": args.n_max,
        "first_evaluation_s": round(time.perf_counter() - t0, 1), "distance": round(d0, 2),
        "load_before": os.getloadavg()}
    items = list(range(args.evaluations))
    for mode in args.modes.split(","):
        t = time.perf_counter()
        d = (process_map(_evaluate, items, args.workers) if mode == "shared"
             else _unshared(items, args.workers))
        wall = time.perf_counter() - t
        out[mode] = {"wall_s": round(wall, 1),
                     "s_per_evaluation": round(wall / args.evaluations, 2),
                     "load_after": os.getloadavg(),
                     "same_distance": bool(all(abs(x - d0) < 1e-9 for x in d))}
        print(mode, out[mode], flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(out, f, indent=1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
