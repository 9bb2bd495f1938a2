"""Published significance statements: does a simulated estimate and 95% CI bear them out?"""

from __future__ import annotations

import math

from moodtwin.trials._schema import Endpoint, Published

_LOWER_IS_BETTER = ("mean_change", "percent_change", "mean_score", "stressor_rise")


def null_value(e: Endpoint) -> float:
    """No-effect value of the endpoint's estimate (1 for ratios, else 0)."""
    return 1.0 if e.type in ("risk_ratio", "hazard_ratio") else 0.0


def favours_first(e: Endpoint, low: float, high: float) -> int:
    """+1 when the 95% CI shows ``arms[0]`` (or period A) significantly better, -1 worse,
    0 not significant. Better: lower scores and relapse hazards; higher rates, time in
    response, effect sizes (defined positive for improvement) and biomarker rises."""
    null = null_value(e)
    if not (math.isfinite(low) and math.isfinite(high)):
        return 0
    side = 1 if low > null else -1 if high < null else 0
    lower_better = e.type == "hazard_ratio" or (
        e.type in ("difference", "within_difference") and e.quantity() in _LOWER_IS_BETTER)
    return -side if lower_better else side


def claim_holds(e: Endpoint, pub: Published, low: float, high: float) -> bool:
    """Whether one simulated trial (its 95% CI) bears out the published claim."""
    if pub.claim == "improves":
        return math.isfinite(high) and high < 0.0
    verdict = favours_first(e, low, high)
    return {"superior": verdict > 0, "inferior": verdict < 0,
            "no_difference": verdict == 0}[pub.claim or ""]
