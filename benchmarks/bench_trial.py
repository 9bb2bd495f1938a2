"""Benchmark: a two-arm, 52-week trial with weekly visits and weekly dosing events.

Arm A: implanted VNS (titrated) + weekly visits; arm B: weekly IV ketamine + weekly visits.
Patients differ in vulnerability, weight, inflammation and stress (random, seeded); each
patient gets the 30-year steady-state burn-in before baseline, as in ``simulate``.
Reports compile/warm-up time separately, wall and CPU time, patient-years per second,
solver work (steps, right-hand-side evaluations) and peak memory (RSS). ``--check N``
compares MADRS at the visits of N patients per arm with a tight (rtol 1e-11) reference;
the machine-limit section times bare compiled loops of the right-hand side, Jacobian and
sparse LU (``benchmarks/peers.py``: ``eval_costs``) and compares the kernel's CPU time with them.
Research tool, not medical advice.

    python benchmarks/bench_trial.py --patients 10000 --json trial.json
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numba
import numpy as np
from peers import eval_costs

from moodtwin.model import Model, default_model
from moodtwin.protocols import compile_protocol, parse_protocol
from moodtwin.simulation import SolverOptions, parameter_table, run_engine
from moodtwin.solver import STATS

TITRATION = [{"at": f"{2 + 2 * i} week", "current": f"{0.25 * (i + 1)} mA"} for i in range(4)]
ARMS = {
    "vns": {"name": "vns", "duration": "52 week", "visits": {"every": "1 week"},
            "background": {"oral_antidepressant": "continued"},
            "therapies": [{"type": "vns", "titration": TITRATION}]},
    "ketamine_weekly": {"name": "ket", "duration": "52 week", "visits": {"every": "1 week"},
                        "therapies": [{"type": "ketamine_iv", "dose": "0.5 mg/kg",
                                       "at": ["0 d"], "repeat": {"every": "1 week", "count": 52}}]},
}
REFERENCE = SolverOptions(rtol=1e-11, atol=1e-13)


def population(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "vulnerability": rng.normal(-0.14, 0.4, n).clip(-2, 2),
        "body_weight": rng.normal(75, 12, n).clip(45, 140),
        "infl_base": rng.lognormal(0.2, 0.3, n).clip(0.5, 4),
        "stress_base": rng.lognormal(0.0, 0.2, n).clip(0.3, 3),
    }


def madrs_error(model: Model, arm: dict, options: SolverOptions, n: int, seed: int) -> float:
    """Largest |MADRS difference| at the visits of ``n`` patients against REFERENCE."""
    proto = parse_protocol(arm)
    tl = compile_protocol(proto, model, model.defaults())
    visits = np.arange(0, proto.duration_h() + 1e-9, 168.0)
    table = parameter_table(population(n, seed + 1), model)
    k = [o.name for o in model.observables].index("madrs")
    y0 = run_engine(model, table, tl, np.array([0.0]), REFERENCE)[0][:, 0]
    ref = run_engine(model, table, tl, visits, REFERENCE, y0=y0)[2][..., k]
    got = run_engine(model, table, tl, visits, options, y0=y0)[2][..., k]
    return float(np.abs(got - ref).max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=10_000, help="total, split over two arms")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rtol", type=float, help="default: SolverOptions.for_trials()")
    ap.add_argument("--atol", type=float, help="default: SolverOptions.for_trials()")
    ap.add_argument("--check", type=int, default=16, metavar="N",
                    help="patients per arm for the accuracy check (0: skip)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    preset = SolverOptions.for_trials()
    options = SolverOptions(rtol=args.rtol or preset.rtol, atol=args.atol or preset.atol)
    model = default_model()
    print("moodtwin trial benchmark (research tool, not medical advice)")
    print(f"options: rtol={options.rtol:g} atol={options.atol:g}; "
          f"{numba.get_num_threads()} threads")
    t0 = time.perf_counter()
    table = parameter_table(population(2, args.seed), model)
    tl = compile_protocol(parse_protocol(ARMS["vns"]), model, model.defaults())
    run_engine(model, table, tl, np.array([0.0, 24.0]), options)
    warm = time.perf_counter() - t0
    print(f"compile/warm-up (numba cache load or JIT): {warm:.2f} s")
    report: dict = {"patients": args.patients, "rtol": options.rtol, "atol": options.atol,
                    "threads": numba.get_num_threads(), "warmup_s": warm, "arms": {}}
    n_arm = args.patients // 2
    wall = cpu = 0.0
    for arm, spec in ARMS.items():
        proto = parse_protocol(spec)
        tl = compile_protocol(proto, model, model.defaults())
        visits = np.arange(0, proto.duration_h() + 1e-9, 168.0)
        table = parameter_table(population(n_arm, args.seed), model)
        stats = np.zeros((n_arm, len(STATS)), dtype=np.int64)
        w0, c0 = time.perf_counter(), time.process_time()
        _, status, _ = run_engine(model, table, tl, visits, options, stats=stats)
        dw, dc = time.perf_counter() - w0, time.process_time() - c0
        wall, cpu = wall + dw, cpu + dc
        work = dict(zip(STATS, stats.sum(axis=0).tolist(), strict=True))
        rec = {"wall_s": dw, "cpu_s": dc, "patient_years_per_s": n_arm / dw,
               "failures": int((status != 0).sum()), **{k: v / n_arm for k, v in work.items()}}
        if args.check:
            rec["max_abs_madrs_error"] = madrs_error(model, spec, options, args.check, args.seed)
        report["arms"][arm] = rec
        acc = (f", max |dMADRS| {rec['max_abs_madrs_error']:.1e} (n={args.check})"
               if args.check else "")
        print(f"arm {arm:16s} {n_arm} patients x 52 weeks: {dw:6.2f} s wall, {dc:6.2f} s CPU "
              f"({n_arm / dw:,.0f} patient-years/s), {work['steps'] / n_arm:,.0f} steps and "
              f"{work['rhs_evaluations'] / n_arm:,.0f} rhs/patient, failures: "
              f"{rec['failures']}{acc}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"whole trial ({2 * n_arm} patients): {wall:.2f} s wall after warm-up, {cpu:.2f} s CPU; "
          f"{2 * n_arm / wall:,.0f} patient-years/s; peak RSS {peak:.0f} MiB")
    limit = eval_costs(model)
    tot = {k: sum(r[k] * n_arm for r in report["arms"].values()) for k in STATS}
    # per step: a Jacobian and a factorisation; per stage (right-hand side) an LU solve
    floor = 1e-9 * (tot["rhs_evaluations"] * (limit["rhs_ns"] + limit["lu_solve_ns"])
                    + tot["factorisations"] * (limit["jac_ns"] + limit["lu_factor_ns"]))
    print(f"machine limit: bare compiled loops {limit['rhs_ns']:.0f} ns per rhs, "
          f"{limit['jac_ns']:.0f} ns per Jacobian, {limit['lu_factor_ns']:.0f} ns per LU "
          f"factorisation, {limit['lu_solve_ns']:.0f} ns per LU solve; the trial's "
          f"{tot['rhs_evaluations']:,.0f} rhs + {tot['factorisations']:,.0f} Jacobians and "
          f"factorisations need {floor:.2f} CPU-s of the {cpu:.2f} CPU-s used "
          f"({100 * floor / cpu:.0f}%); kernel rate {tot['rhs_evaluations'] / cpu / 1e6:.2f} M "
          f"rhs/CPU-s vs {1e3 / limit['rhs_ns']:.2f} M/s bare")
    report.update(wall_s=wall, cpu_s=cpu, patient_years_per_s=2 * n_arm / wall,
                  peak_rss_mib=peak, limit=limit, limit_fraction=floor / cpu)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
