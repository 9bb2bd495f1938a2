"""Round 43 probe (measured, not shipped): condition ``k_syn_loss`` on Kishimoto et al. 2016.

    python benchmarks/calibration/s43/kishimoto_probe.py [PARAMETER_SET.yaml]

Finds the slowest synapse loss at which one ketamine infusion is no longer significantly better
than placebo at day 11 (``moodtwin.calibration._sources.ketamine_durability`` below
``KISHIMOTO_2016["lost_below"]``) for the given set (default: the shipped one). With the
round-42 set: 0.0135 /h (shipped 0.0049). What the conditioned and recalibrated set gave:
``probe.md`` beside this file; the code change: ``kishimoto_probe.diff``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

from moodtwin.calibration._sources import KISHIMOTO_2016, ketamine_durability
from moodtwin.errors import ValidationError
from moodtwin.parameter_sets import ParameterSet


def condition_synapse_loss(parameters: ParameterSet, *, low: float = 0.0016, high: float = 0.03,
                           progress: Callable[[str], None] | None = None) -> float:
    """The slowest ``k_syn_loss`` (1/h, within its prior ``low``-``high``) at which one
    ketamine infusion has lost its significant superiority by day 11
    (:func:`ketamine_durability` below :data:`KISHIMOTO_2016` ``["lost_below"]``): bisection
    on the log scale to 2 % of the value."""
    limit = KISHIMOTO_2016["lost_below"]

    def late(log_k: float) -> float:
        g1, g11 = ketamine_durability(parameters.with_values(
            {"k_syn_loss": math.exp(log_k)}, "conditioning on sources"))
        if progress:
            progress(f"k_syn_loss {math.exp(log_k):.4g}: g day 1 {g1:.2f}, day 11 {g11:.2f}")
        return g11

    lo, hi = math.log(low), math.log(high)
    if late(hi) > limit:
        raise ValidationError(f"k_syn_loss: even {high:g}/h leaves one ketamine infusion "
                              f"superior at day 11 (g above {limit}).")
    while hi - lo > math.log(1.02):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if late(mid) > limit else (lo, mid)
    return math.exp(hi)


if __name__ == "__main__":
    ps = ParameterSet.load(sys.argv[1]) if len(sys.argv) > 1 else ParameterSet.calibrated()
    print(condition_synapse_loss(ps, progress=print))
