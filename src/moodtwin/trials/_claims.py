"""Published significance statements: does a simulated estimate and 95% CI bear them out?"""

from __future__ import annotations

import math

import pandas as pd

from moodtwin.trials._endpoints import endpoint_label
from moodtwin.trials._schema import Endpoint, Published, Trial, within_label

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
    """Whether one simulated trial (its 95% CI) bears out the published claim; one without
    an interval (NaN: too few patients) bears out none."""
    if math.isnan(low) or math.isnan(high):
        return False
    if pub.claim == "improves":
        return math.isfinite(high) and high < 0.0
    verdict = favours_first(e, low, high)
    return {"superior": verdict > 0, "inferior": verdict < 0,
            "no_difference": verdict == 0}[pub.claim or ""]


def published_rows(e: Endpoint) -> list[tuple[str, Published]]:
    """The endpoint's published results, each with the ``arm`` of the endpoint row it is
    compared with: per arm or pool (a mapping), the pooled within-patient contrast, or the
    arms joined by ' vs '."""
    if e.published is None:
        return []
    if isinstance(e.published, dict):
        return list(e.published.items())
    if e.type == "within_difference":
        return [(within_label(e), e.published)]
    return [(" vs ".join(e.arms or []), e.published)]


def claims_held(e: Endpoint, pub: Published, rows: pd.DataFrame) -> list[bool]:
    """Per simulated trial (a row with ``ci_low``, ``ci_high``): whether it bears out the
    published claim."""
    return [claim_holds(e, pub, lo, hi)
            for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)]


def claim_verdicts(trial: Trial, endpoints: pd.DataFrame) -> dict[tuple[str, str],
                                                                   tuple[str, int]]:
    """Per (endpoint label, arm) with a published significance claim: the claim and in how
    many replicates (rows of ``endpoints``, as :class:`~moodtwin.trials.TrialResult` has
    them) the simulated 95% CI bears it out."""
    out = {}
    for e in trial.endpoints:
        label = endpoint_label(e)
        for arm, pub in published_rows(e):
            if pub.claim is not None:
                rows = endpoints[(endpoints["endpoint"] == label) & (endpoints["arm"] == arm)]
                out[(label, arm)] = (pub.claim, sum(claims_held(e, pub, rows)))
    return out
