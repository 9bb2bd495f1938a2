"""Cost of one calibration evaluation now and at a small Monte-Carlo error.

Runs every calibration trial file once with the shipped set, as `moodtwin calibrate` does
per evaluation (`--n-max 100 --realizations 2`: two runs of at most 100 patients), and once
with four times its published size (one realization), where every number's Monte-Carlo
error is half its published standard error (`se_pub * sqrt(n_pub / n_sim)`). Prints seconds
per trial file and per evaluation on one core.

    python benchmarks/calibration/evaluation_cost.py [N_MAX] [FACTOR]
"""

from __future__ import annotations

import os
import sys
import time

from moodtwin import ParameterSet
from moodtwin.calibration._targets import collect_targets
from moodtwin.trials import run_trial


def main(n_max: int = 100, factor: int = 4) -> None:
    """Print the per-trial and per-evaluation cost at ``n_max`` x 2 and ``factor`` x n."""
    targets = collect_targets(fitted_only=True)
    ps = ParameterSet.calibrated()
    by_file: dict[str, list] = {}
    for t in targets:
        by_file.setdefault(t.trial_file.stem, []).append(t)
    first = next(iter(by_file.values()))[0].trial
    run_trial(first, seed=1, n=20, parameters=ps, ensemble=False)  # compile and warm up
    now = big = 0.0
    print(f"load average before: {os.getloadavg()[0]:.2f} (2-core machine)")
    for stem, ts in by_file.items():
        trial = ts[0].trial
        n_pub = trial.n or sum(a.n or 0 for a in trial.arms)
        if trial.n is None:
            trial = trial.model_copy(update={"n": n_pub})
        t0 = time.perf_counter()
        run_trial(trial, seed=1, n=min(n_pub, n_max), parameters=ps, replicates=2,
                  ensemble=False)
        a = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_trial(trial, seed=1, n=factor * n_pub, parameters=ps, ensemble=False)
        b = time.perf_counter() - t0
        now, big = now + a, big + b
        print(f"{stem:30s} n_pub {n_pub:4d}   2 x {min(n_pub, n_max):3d}: {a:6.2f} s   "
              f"{factor} x n_pub = {factor * n_pub:5d}: {b:6.2f} s")
    print(f"per evaluation on one core: {now:.1f} s now, {big:.1f} s at Monte-Carlo error "
          f"{factor ** -0.5:.2f} of the published SE")


if __name__ == "__main__":
    main(*(int(x) for x in sys.argv[1:3]))
