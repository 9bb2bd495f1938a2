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
from moodtwin.calibration._abc import simulated_size
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
    mc_error = factor**-0.5
    for stem, ts in by_file.items():
        trial = ts[0].trial
        n_now = simulated_size(ts[0], n_max)
        n_big = simulated_size(ts[0], 10**9, mc_error)  # the sizing of --mc-error
        if trial.n is None:  # cohorts only, as calibrate scales them
            trial = trial.model_copy(update={"n": sum(a.n or 0 for a in trial.arms)})
        t0 = time.perf_counter()
        run_trial(trial, seed=1, n=n_now, parameters=ps, replicates=2, ensemble=False)
        a = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_trial(trial, seed=1, n=n_big, parameters=ps, ensemble=False)
        b = time.perf_counter() - t0
        now, big = now + a, big + b
        print(f"{stem:30s} 2 x {n_now:3d}: {a:6.2f} s   {n_big:5d} (Monte-Carlo error "
              f"{mc_error:.2f} SE): {b:6.2f} s")
    print(f"per evaluation on one core: {now:.1f} s now, {big:.1f} s at Monte-Carlo error "
          f"{mc_error:.2f} of the published SE")


if __name__ == "__main__":
    main(*(int(x) for x in sys.argv[1:3]))
