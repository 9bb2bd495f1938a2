"""Between-trial heterogeneity: its moment estimate recovers a known value on synthetic
residuals, and a virtual trial's new-trial prediction interval widens its interval by it: by
the value the parameter set's calibration measured, else by the assumed one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from moodtwin import ParameterSet, run_trial
from moodtwin.errors import ValidationError
from moodtwin.heterogeneity import HETEROGENEITY, moment_estimate, of_set, prediction_interval

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


def _set_measuring(tmp_path: Path, estimate: object) -> Path:
    path = tmp_path / "set.yaml"
    path.write_text(yaml.safe_dump({
        "parameters": {"w_pot": {"value": 0.9, "source": "calibrated"}},
        "calibration": {"leave_one_trial_out": {"passed": 38, "of": 42,
                                                "heterogeneity_moment_estimate": estimate}}}))
    return path


def test_prediction_uses_the_heterogeneity_the_sets_calibration_measured(tmp_path) -> None:
    """A set whose calibration measured the heterogeneity out of sample (``moodtwin calibrate
    --leave-one-out``) widens a trial's new-trial interval by that value, also after
    ``with_values`` and in its ensemble members; a set without it by the assumed 0.10."""
    measured = ParameterSet.load(_set_measuring(tmp_path, 0.3))
    assert of_set(measured) == (0.3, "measured out of sample by the set's calibration")
    assert measured.with_values({"w_pot": 0.8}).heterogeneity == 0.3
    assert of_set(ParameterSet.definition()) == (
        HETEROGENEITY, "assumed: the set's calibration did not measure it")
    res = run_trial(ROOT / "examples" / "trials" / "ketamine_murrough2013.yaml", n=12,
                    parameters=measured)
    assert res.heterogeneity[0] == 0.3 and res.to_json()["heterogeneity"]["fraction"] == 0.3
    s = res.summary().dropna(subset=["low", "high"])
    lo, hi = prediction_interval(s["mean"], s["low"], s["high"], ratio=False,
                                 rate=s["type"] == "response_rate", heterogeneity=0.3)
    assert np.allclose(s["new_trial_low"], lo) and np.allclose(s["new_trial_high"], hi)


@pytest.mark.parametrize("bad", ["0,16", -0.1, True])
def test_an_unreadable_measured_heterogeneity_is_a_one_line_error(tmp_path, bad) -> None:
    """A comma, a negative value or a boolean: one line naming the field and the value."""
    with pytest.raises(ValidationError, match="heterogeneity_moment_estimate") as err:
        ParameterSet.load(_set_measuring(tmp_path, bad))
    assert repr(bad) in str(err.value) and "\n" not in str(err.value)
