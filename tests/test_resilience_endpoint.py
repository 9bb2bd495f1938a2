"""Resilience trial endpoints: ``stressor_rise`` and ``recovered_rate`` from rated scores."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from moodtwin.catalogue import protocol_catalogue
from moodtwin.errors import ValidationError
from moodtwin.parameter_sets import ParameterSet
from moodtwin.trials import TrialData, compute_endpoints, load_trial, parse_trial, run_trial

WINDOW = {"since": "1 week", "at": "4 week"}
# MADRS at baseline and weeks 1-4; the stressor comes after the week-1 visit.
# rises (highest of weeks 2-4 minus week 1): a 6, 7, -1, 8 (NaN skipped); b 10, 2, 6, 12
# back within 2 points of week 1 at week 4: a 3 of 4; b 2 of 4
SCORES = {"a": [[30, 20, 26, 24, 21], [30, 18, 19, 25, 22], [30, 22, 21, 20, 19],
                [30, 16, np.nan, 24, 17]],
          "b": [[30, 20, 30, 28, 25], [30, 20, 22, 21, 20], [30, 24, 30, 26, 26],
                [30, 18, 22, 30, 26]]}


def _hand_data() -> TrialData:
    """A replicate of two arms of four patients whose observed MADRS is ``SCORES``."""
    trial = parse_trial({
        "name": "hand", "n": 8, "duration": "4 week", "analysis": "observed",
        "visits": {"every": "1 week"},
        "arms": [{"name": a, "protocol": "no_treatment.yaml"} for a in SCORES],
        "endpoints": [
            {"id": "rise", "type": "stressor_rise", **WINDOW},
            {"id": "back", "type": "recovered_rate", "recovered_within": 2, **WINDOW},
            {"id": "rise_diff", "type": "difference", "of": "stressor_rise", "arms": ["a", "b"],
             **WINDOW}]}, protocol_catalogue())
    madrs = np.array([row for rows in SCORES.values() for row in rows], dtype=float)
    patients = pd.DataFrame({"arm": [a for a, rows in SCORES.items() for _ in rows],
                             "withdrawal_arm": "", "status": 0})
    model = ParameterSet.definition().model
    latent = np.zeros((*madrs.shape, len(model.observables)))
    return TrialData(trial, model, np.array(trial.visit_times_h()), patients, latent,
                     {"MADRS": madrs})


def _wilson(k: int, n: int) -> tuple[float, float]:
    z = stats.norm.ppf(0.975)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def test_rise_and_recovery_match_hand_calculation() -> None:
    rows = {(r["endpoint"], r["arm"]): r for r in compute_endpoints(_hand_data())}
    rise = rows[("rise", "a")]
    # mean 5; deviations 1, 2, -6, 3: SD sqrt(50 / 3), t interval with 3 df
    half = stats.t.ppf(0.975, 3) * math.sqrt(50.0 / 3.0) / 2.0
    assert (rise["estimate"], rise["n"]) == (5.0, 4)
    assert (rise["ci_low"], rise["ci_high"]) == pytest.approx((5.0 - half, 5.0 + half))
    assert rows[("rise", "b")]["estimate"] == 7.5
    assert rows[("rise_diff", "a vs b")]["estimate"] == -2.5
    for arm, k in (("a", 3), ("b", 2)):
        back = rows[("back", arm)]
        assert (back["estimate"], back["n"]) == (k / 4, 4)
        assert (back["ci_low"], back["ci_high"]) == pytest.approx(_wilson(k, 4))
        assert 0.0 <= back["ci_low"] <= back["ci_high"] <= 1.0


def _stressed(intensity: float | None) -> dict:
    therapies = [] if intensity is None else [
        {"type": "stressor", "start": "2 week", "duration": "3 week", "intensity": intensity}]
    return {"name": "untreated", "duration": "10 week", "therapies": therapies}


def test_a_stronger_stressor_gives_a_larger_rise() -> None:
    trial = parse_trial({
        "name": "dose of stress", "n": 240, "duration": "10 week", "visits": {"every": "1 week"},
        "arms": [{"name": name, "protocol": _stressed(x)}
                 for name, x in (("none", None), ("mild", 1.0), ("strong", 3.0))],
        "endpoints": [
            {"id": "rise", "type": "stressor_rise", "since": "2 week", "at": "10 week"},
            {"id": "back", "type": "recovered_rate", "since": "2 week", "at": "5 week",
             "recovered_within": 3},
            {"id": "strong_vs_none", "type": "difference", "of": "stressor_rise",
             "since": "2 week", "at": "10 week", "arms": ["strong", "none"]}]},
        protocol_catalogue())
    rows = {(r["endpoint"], r["arm"]): r
            for r in compute_endpoints(run_trial(trial, seed=4).first)}
    rise = [rows[("rise", a)]["estimate"] for a in ("none", "mild", "strong")]
    assert rise[0] < rise[1] < rise[2]
    assert rows[("strong_vs_none", "strong vs none")]["ci_low"] > 0.0
    # at the stressor's last week, fewer are back within 3 points of their score before it
    assert rows[("back", "strong")]["estimate"] < rows[("back", "none")]["estimate"]


def _bad(**endpoint: object) -> str:
    data = {"name": "bad", "n": 8, "duration": "4 week", "visits": {"every": "1 week"},
            "arms": [{"name": "a", "protocol": "no_treatment.yaml"}],
            "endpoints": [{"id": "e", **endpoint}]}
    with pytest.raises(ValidationError) as err:
        parse_trial(data, protocol_catalogue())
    assert "\n" not in str(err.value)
    return str(err.value)


@pytest.mark.parametrize("endpoint, message", [
    ({"type": "stressor_rise", "at": "4 week"},
     "'stressor_rise' needs 'since' (the visit just before the stressor)"),
    ({"type": "recovered_rate", **WINDOW},
     "'recovered_within' (points above the score at 'since') belongs to, and is needed by"),
    ({"type": "stressor_rise", "recovered_within": 2, **WINDOW}, "'recovered_within'"),
    ({"type": "recovered_rate", "recovered_within": -1, **WINDOW},
     "recovered_within: Input should be greater than or equal to 0; got -1"),
    ({"type": "recovered_rate", "recovered_within": 70, **WINDOW},
     "recovered_within 70 is outside 0-60 (MADRS points)"),
    ({"type": "recovered_rate", "recovered_within": 30, "scale": "PHQ9", **WINDOW},
     "recovered_within 30 is outside 0-27 (PHQ9 points)"),
    ({"type": "stressor_rise", "since": "4 week", "at": "2 week"},
     "since: '4 week' must be before 'at' ('2 week')"),
    ({"type": "stressor_rise", "since": "9 d", "at": "4 week"}, "since '9 d' is not a visit"),
    ({"type": "stressor_rise", "baseline": "period", **WINDOW}, "baseline: 'period' applies"),
    ({"type": "stressor_rise", "missing": "mmrm", **WINDOW}, "'mmrm' estimates mean changes"),
])
def test_bad_resilience_fields_are_one_line(endpoint: dict, message: str) -> None:
    assert message in _bad(**endpoint)


def test_stressor_challenge_design_uses_the_resilience_endpoints() -> None:
    trial = load_trial("designs/stressor_challenge_tavns.yaml")
    kinds = {e.type for e in trial.endpoints} | {e.of for e in trial.endpoints}
    assert {"stressor_rise", "recovered_rate"} <= kinds
    assert all(e.published is None for e in trial.endpoints)
