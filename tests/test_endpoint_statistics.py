"""Trial endpoint statistics against hand calculations on tiny constructed trials.

Each test builds the rated scores of a few patients by hand, runs the library's endpoint code
on them and compares with the textbook formula worked out here (not with another library).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from moodtwin.catalogue import protocol_catalogue
from moodtwin.parameter_sets import ParameterSet
from moodtwin.trials import TrialData, compute_endpoints, parse_trial

MODEL = ParameterSet.definition().model


def _data(visits: list[str], endpoints: list[dict], scores: dict[str, list[list[float]]],
          analysis: str = "locf") -> TrialData:
    """A replicate whose MADRS scores (patients x visits incl. baseline) are given per arm."""
    trial = parse_trial({
        "name": "hand", "n": 8, "duration": "5 week", "visits": visits, "analysis": analysis,
        "arms": [{"name": a, "protocol": "no_treatment.yaml"} for a in scores],
        "endpoints": endpoints}, protocol_catalogue())
    arms = [a for a, rows in scores.items() for _ in rows]
    madrs = np.array([row for rows in scores.values() for row in rows], dtype=float)
    patients = pd.DataFrame({"patient": range(len(arms)), "arm": arms,
                             "withdrawal_arm": "", "status": 0})
    latent = np.zeros((*madrs.shape, len(MODEL.observables)))
    return TrialData(trial, MODEL, np.array(trial.visit_times_h()), patients, latent,
                     {"MADRS": madrs})


def _estimates(d: TrialData) -> dict[tuple[str, str], float]:
    return {(r["endpoint"], r["arm"]): r["estimate"] for r in compute_endpoints(d)}


# MADRS at baseline and week 1: changes A = -20, -16, -18, -10; B = -6, -16, -2, -8
A = [[30, 10], [30, 14], [30, 12], [30, 20]]
B = [[30, 24], [30, 14], [30, 28], [30, 22]]


def test_cohen_d_hedges_g_and_risk_ratio() -> None:
    d = _data(["1 week"], [
        {"id": "d", "type": "cohen_d", "arms": ["a", "b"], "at": "1 week"},
        {"id": "g", "type": "hedges_g", "arms": ["a", "b"], "at": "1 week"},
        {"id": "rr", "type": "risk_ratio", "arms": ["a", "b"], "at": "1 week"},
        {"id": "change", "type": "mean_change", "at": "1 week"}], {"a": A, "b": B})
    est = _estimates(d)
    # means -16 and -8; sums of squares 56 and 104; pooled SD sqrt(160 / 6)
    assert est[("change", "a")] == -16.0 and est[("change", "b")] == -8.0
    cohen = (-8.0 - -16.0) / math.sqrt((56.0 + 104.0) / 6.0)  # positive: a improves more
    hedges = cohen * (1.0 - 3.0 / (4.0 * 8 - 9.0))  # small-sample correction J(n = 8)
    assert est[("d", "a vs b")] == pytest.approx(cohen, rel=1e-9)
    assert est[("g", "a vs b")] == pytest.approx(hedges, rel=1e-9)
    # response (<= 50 % of baseline = 15 points): a 3 of 4, b 1 of 4
    assert est[("rr", "a vs b")] == pytest.approx((3 / 4) / (1 / 4))


def test_risk_ratio_against_an_arm_without_responders_is_finite() -> None:
    """A control arm with no responders gets 0.5 added to every cell (Haldane-Anscombe, the
    meta-analysts' zero-cell correction; Cochrane Handbook 10.4.4.2): a 3 of 4 against 0 of
    4 gives (3.5/5)/(0.5/5) = 7, not infinity (which failed whole calibration
    realizations)."""
    none = [[30, 24], [30, 20], [30, 28], [30, 22]]  # no one at <= 15
    d = _data(["1 week"], [{"id": "rr", "type": "risk_ratio", "arms": ["a", "b"],
                            "at": "1 week"}], {"a": A, "b": none})
    assert _estimates(d)[("rr", "a vs b")] == pytest.approx(7.0)


def test_locf_carries_the_last_observation_forward() -> None:
    scores = {"a": [[30, 20, math.nan], [30, 10, 8]], "b": [[30, 28, 26], [30, 24, 20]]}
    ends = [{"id": "score", "type": "mean_score", "at": "2 week"}]
    locf = _estimates(_data(["1 week", "2 week"], ends, scores))
    seen = _estimates(_data(["1 week", "2 week"], ends, scores, analysis="observed"))
    assert locf[("score", "a")] == (20 + 8) / 2  # the week-1 score stands in for week 2
    assert seen[("score", "a")] == 8.0  # observed cases only
    assert locf[("score", "b")] == seen[("score", "b")] == 23.0


# relapse = MADRS >= 22 at a weekly visit; 10 = well; NaN never occurs (no dropout)
WEEKS = ["1 week", "2 week", "3 week", "4 week", "5 week"]
R = [[30, 10, 25, 10, 10, 10],   # a: relapse at day 14
     [30, 10, 10, 10, 25, 10],   # a: relapse at day 28
     [30, 10, 10, 10, 10, 10],   # a: no relapse (censored at day 35)
     [30, 10, 10, 10, 10, 10]]   # a: no relapse
S = [[30, 25, 10, 10, 10, 10],   # b: relapse at day 7
     [30, 10, 10, 25, 10, 10],   # b: relapse at day 21
     [30, 10, 10, 10, 10, 10],   # b: censored
     [30, 10, 10, 10, 10, 10]]   # b: censored


def test_kaplan_meier_median_and_cox_hazard_ratio() -> None:
    d = _data(WEEKS, [
        {"id": "km", "type": "median_time_to_relapse", "relapse_score": 22},
        {"id": "hr", "type": "hazard_ratio", "arms": ["a", "b"], "relapse_score": 22}],
        {"a": R, "b": S})
    est = _estimates(d)
    # Kaplan-Meier: a: S(14) = 3/4, S(28) = 3/4 x 2/3 = 1/2 -> median 28 d; b: 21 d
    assert est[("km", "a")] == 28.0 and est[("km", "b")] == 21.0

    # Cox partial likelihood (x = 1 for a, no tied event times): events at 7 (b), 14 (a),
    # 21 (b), 28 (a) with risk sets (a, b) = (4, 4), (4, 3), (3, 3), (3, 2); its score is
    # 2 - sum(n_a e / (n_a e + n_b)) with e = exp(beta)
    def score(beta: float) -> float:
        e = math.exp(beta)
        return 2.0 - sum(na * e / (na * e + nb) for na, nb in ((4, 4), (4, 3), (3, 3), (3, 2)))

    hr = math.exp(brentq(score, -5.0, 5.0, xtol=1e-12))
    assert hr < 1.0  # a relapses later
    # lifelines stops its Newton steps on a small log-likelihood change: beta within ~1e-3
    assert est[("hr", "a vs b")] == pytest.approx(hr, rel=1e-3)
