"""Round 52 probe: two latent classes of monoamine responsiveness (branch s52-monoamine-classes).

    python benchmarks/calibration/s52/probe.py SET.yaml [--set NAME=VALUE ...] [--val] [--relapse]

At the point values of SET (no ensemble), prints what the three human sources outside the
calibration set say about the oral antidepressant's route, beside the model:
- Stone et al. 2022 (BMJ 378:e067606): drug minus placebo 1.75 HAMD-17 points; share with a
  large improvement (the mixture's 16.0-point component; counted here as >= 12.45 points, the
  midpoint between the large and the non-specific components' means) 24.5 % on drug, 9.6 %
  on placebo;
- STAR*D (Rush et al. 2006): response 48.6 % at level 1, 16.8 % at level 3;
- Kato et al. 2021 (Mol Psychiatry 26:118): remitters randomized to continue their
  antidepressant or to placebo relapse 20.9 % / 39.7 % (``antidepressant_relapse_prevention``
  design, 3,000 enrolled, relapse by week 40).
``--val``: the calibration set's rows (validate, 2 replicates, seed 0).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "s51"))
from _designs import design, mean, print_rows, probe_set  # noqa: E402

from moodtwin import ParameterSet, run_trial  # noqa: E402
from moodtwin.calibration._mixture import STONE_COMPONENTS  # noqa: E402
from moodtwin.calibration._sources import star_d_log_odds_ratio, stone_trial  # noqa: E402

LARGE = 0.5 * (STONE_COMPONENTS[1] + STONE_COMPONENTS[2])


def stone(ps: ParameterSet, n: int = 1500, seed: int = 5) -> None:
    out = {}
    for pill in ("blinded", "placebo"):
        trial = stone_trial(pill, n)
        r = run_trial(trial, seed=seed, parameters=ps, ensemble=False)
        x = r.first.observed["HAMD17"]  # visit 0 is the baseline rating
        change = x[:, -1] - x[:, 0]
        ok = np.isfinite(change)
        out[pill] = (float(np.mean(change[ok])), float(np.mean(-change[ok] >= LARGE)))
        print(f"  {pill}: mean change {out[pill][0]:.2f}", flush=True)
    d, p = out["blinded"], out["placebo"]
    print(f"Stone: drug minus placebo {p[0] - d[0]:.2f} HAMD-17 (1.75); large share "
          f"{d[1]:.3f} / {p[1]:.3f} (0.245 / 0.096)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("set")
    ap.add_argument("--set", dest="values", action="append", default=[])
    ap.add_argument("--val", action="store_true")
    ap.add_argument("--relapse", action="store_true")
    a = ap.parse_args()
    ps = probe_set(a.set, a.values)
    stone(ps)
    l1, l3, lor = star_d_log_odds_ratio(ps)
    print(f"STAR*D: response {l1:.3f} / {l3:.3f}, log odds ratio {lor:.2f} "
          f"(0.486 / 0.168, 1.54)", flush=True)
    if a.relapse:
        ad = design("antidepressant_relapse_prevention", 3000, [], keep=True)
        s = run_trial(ad, seed=0, parameters=ps, ensemble=False).summary()
        print(f"Kato: HR {mean(s, 'relapse_hr', 'continued vs placebo'):.2f}, by week 40 "
              f"{mean(s, 'relapsed_by_40_weeks', 'continued'):.3f} / "
              f"{mean(s, 'relapsed_by_40_weeks', 'placebo'):.3f} (0.209 / 0.397)", flush=True)
    if a.val:
        print_rows(ps, "calibration rows")

if __name__ == "__main__":
    main()
