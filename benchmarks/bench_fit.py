"""Benchmark: fit one person with a year of weekly scores (target: under a minute, 2 cores).

Fits ``examples/person/synthetic_vns`` (52 weeks of implanted VNS; 53 weekly PHQ-9 and 14
MADRS ratings, 12 labs, 5 heart recordings; 7 parameters) with the defaults of
``moodtwin fit`` and prints wall time, CPU time, the load average (the machine may be shared),
the slowest R-hat and smallest ESS, and whether the 90 % intervals cover the true values.

Run: ``python benchmarks/bench_fit.py [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import yaml

from moodtwin.person import fit_person, load_person

PERSON = Path(__file__).resolve().parents[1] / "examples" / "person" / "synthetic_vns"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--steps", type=int, default=700)
    ap.add_argument("--burn", type=int, default=300)
    args = ap.parse_args()
    t0 = time.perf_counter()
    record, _ = load_person(PERSON)
    print(f"load + HRV: {time.perf_counter() - t0:.1f} s")
    fit_person(record, steps=4, burn=0)  # compile / load the numba kernel
    truth = yaml.safe_load((PERSON / "truth.yaml").read_text())
    for r in range(args.repeat):
        load = os.getloadavg()[0]
        fit = fit_person(record, steps=args.steps, burn=args.burn, seed=r)
        s = fit.summary.set_index("parameter")
        covered = sum(s.loc[k, "q5"] <= v <= s.loc[k, "q95"] for k, v in truth.items())
        print(f"run {r}: wall {fit.seconds:.1f} s, CPU {fit.settings['cpu_seconds']} s "
              f"(load average before {load:.1f} on {os.cpu_count()} cores), "
              f"{fit.settings['walkers']} walkers x {args.steps} steps, max R-hat "
              f"{s['rhat'].max():.3f}, min ESS {s['ess_bulk'].min():.0f}, truth covered "
              f"{covered}/{len(truth)}; warnings: {fit.warnings or 'none'}")
        print("  medians: " + ", ".join(f"{k} {s.loc[k, 'median']:.3g} (true {v:g})"
                                        for k, v in truth.items()))
    print(f"numpy {np.__version__}")


if __name__ == "__main__":
    main()
