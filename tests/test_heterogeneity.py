"""Between-trial heterogeneity: its moment estimate recovers a known value on synthetic
residuals, and a virtual trial's new-trial prediction interval widens its interval by it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodtwin import run_trial
from moodtwin.heterogeneity import HETEROGENEITY, moment_estimate, prediction_interval

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("true", [0.0, 0.1, 0.3])
def test_moment_estimate_recovers_a_known_heterogeneity(true: float) -> None:
    rng = np.random.default_rng(4)
    k = 4000
    published = rng.uniform(-30, 30, k)
    v = rng.uniform(0.5, 4.0, k)  # published + simulated variance without heterogeneity
    residual = rng.normal(0.0, np.sqrt(v + (true * published) ** 2))
    est = moment_estimate(residual, v, np.abs(published))
    assert est == pytest.approx(true, abs=0.02)


def test_prediction_interval_widens_each_side_in_quadrature() -> None:
    lo, hi = prediction_interval([10.0], [8.0], [12.0], ratio=[False], rate=[False],
                                 heterogeneity=0.1)
    half = np.hypot(2.0, 1.959964 * 1.0)
    assert (lo[0], hi[0]) == pytest.approx((10 - half, 10 + half))
    same = prediction_interval([10.0], [8.0], [12.0], ratio=[False], rate=[False],
                               heterogeneity=0.0)
    assert (same[0][0], same[1][0]) == pytest.approx((8.0, 12.0))
    # a small rate's asymmetric Wilson interval stays inside, and the result inside 0-1
    lo, hi = prediction_interval([0.025], [0.004], [0.199], ratio=[False], rate=[True])
    assert 0.0 <= lo[0] <= 0.004 and 0.199 <= hi[0] <= 1.0
    # a ratio widens on the log scale: a hazard ratio's interval stays positive
    lo, hi = prediction_interval([0.5], [0.3], [0.8], ratio=[True], rate=[False])
    assert 0.0 < lo[0] < 0.3 and hi[0] > 0.8
    assert hi[0] / 0.5 == pytest.approx(np.exp(np.hypot(np.log(1.6), 1.959964 * HETEROGENEITY)))


def test_trial_summary_carries_the_new_trial_interval() -> None:
    res = run_trial(ROOT / "examples" / "trials" / "ketamine_murrough2013.yaml", n=12)
    s = res.summary().dropna(subset=["low", "high"])
    assert (s["new_trial_low"] <= s["low"] + 1e-12).all()
    assert (s["new_trial_high"] >= s["high"] - 1e-12).all()
    rates = s[s["type"] == "response_rate"]
    assert ((rates["new_trial_low"] >= 0) & (rates["new_trial_high"] <= 1)).all()
    row = res.to_json()["endpoints"][0]
    assert row["new_trial_95"][0] <= row["interval_95"][0]
