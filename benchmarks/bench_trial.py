"""Benchmark: a two-arm, 52-week trial with weekly visits and weekly dosing events.

Arm A: implanted VNS (titrated) + weekly visits; arm B: weekly IV ketamine + weekly visits.
Patients differ in vulnerability, weight, inflammation and stress (random, seeded).
Reports compile/warm-up time separately, patient-years per second and peak memory (RSS).

    python benchmarks/bench_trial.py --patients 10000
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from moodtwin.model import default_model
from moodtwin.protocols import compile_protocol, parse_protocol
from moodtwin.simulate import SolverOptions, parameter_table, run_engine

TITRATION = [{"at": f"{2 + 2 * i} week", "current": f"{0.25 * (i + 1)} mA"} for i in range(4)]
ARMS = {
    "vns": {"name": "vns", "duration": "52 week", "visits": {"every": "1 week"},
            "background": {"oral_antidepressant": "continued"},
            "therapies": [{"type": "vns", "titration": TITRATION}]},
    "ketamine_weekly": {"name": "ket", "duration": "52 week", "visits": {"every": "1 week"},
                        "therapies": [{"type": "ketamine_iv", "dose": "0.5 mg/kg",
                                       "at": ["0 d"], "repeat": {"every": "1 week", "count": 52}}]},
}


def population(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "vulnerability": rng.normal(-0.14, 0.4, n).clip(-2, 2),
        "body_weight": rng.normal(75, 12, n).clip(45, 140),
        "infl_base": rng.lognormal(0.2, 0.3, n).clip(0.5, 4),
        "stress_base": rng.lognormal(0.0, 0.2, n).clip(0.3, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    model = default_model()
    t0 = time.perf_counter()
    table = parameter_table(population(2, args.seed), model)
    tl = compile_protocol(parse_protocol(ARMS["vns"]), model, model.defaults())
    run_engine(model, table, tl, np.array([0.0, 24.0]), SolverOptions())
    warm = time.perf_counter() - t0
    print(f"compile/warm-up (numba cache load or JIT): {warm:.2f} s")
    n_arm = args.patients // 2
    total = 0.0
    for arm, spec in ARMS.items():
        proto = parse_protocol(spec)
        tl = compile_protocol(proto, model, model.defaults())
        visits = np.arange(0, proto.duration_h() + 1e-9, 168.0)
        table = parameter_table(population(n_arm, args.seed), model)
        t1 = time.perf_counter()
        _, status, obs = run_engine(model, table, tl, visits, SolverOptions(rtol=1e-5, atol=1e-8))
        dt = time.perf_counter() - t1
        total += dt
        print(f"arm {arm:16s} {n_arm} patients x 52 weeks: {dt:6.2f} s "
              f"({n_arm / dt:,.0f} patient-years/s), failures: {(status != 0).sum()}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"whole trial ({2 * n_arm} patients): {total:.2f} s after warm-up; "
          f"{2 * n_arm / total:,.0f} patient-years/s; peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
