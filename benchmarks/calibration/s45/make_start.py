"""Round 45: the warm start for recalibrating the model with the habenular route.

    python benchmarks/calibration/s45/make_start.py

Round 33's last population (``benchmarks/calibration/abc.npz``, the shipped set's raw
calibration) with every particle's ``w_pot`` multiplied by 0.9 / 1.37137: the shipped point
moved there in round 44 by a chi-square profile, and a collapsed population's random walk
cannot travel that far (round 44's stopped run, ``s44/run_log_s44.txt``). The particles keep
their spread and correlations; ``tau_lhb_untrap`` (newly calibrated) is absent, so
``moodtwin calibrate --start-from`` draws it from its prior. The moves leave the ABC posterior
invariant, so this start changes how fast the run mixes, not what it targets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SOURCE = HERE.parent / "abc.npz"
OUT = HERE / "start_s45.npz"
W_POT_SHIFT = np.log(0.9 / 1.37137)  # round 44's profile point over round 33's point


def main() -> None:
    saved = np.load(SOURCE, allow_pickle=False)
    data = {k: saved[k] for k in saved.files}
    names = list(data["names"])
    x = data["x"].copy()
    x[:, names.index("w_pot")] += W_POT_SHIFT  # the population stores log values
    data["x"] = x
    np.savez(OUT, **data)
    print(f"wrote {OUT}: w_pot median {np.exp(np.median(x[:, names.index('w_pot')])):.3f}")


if __name__ == "__main__":
    main()
