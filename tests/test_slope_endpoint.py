"""The ``slope`` endpoint: each patient's least-squares rate of change of the rated score,
as trials report it (D-04, George et al. 2005: IDS-SR change per month)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodtwin import scales
from moodtwin.errors import ValidationError
from moodtwin.trials import parse_trial, run_trial
from moodtwin.trials._endpoints import slopes

PROTOCOLS = Path(__file__).parents[1] / "examples" / "protocols"


def test_slopes_of_hand_made_trajectories() -> None:
    days = np.array([0.0, 7.0, 14.0, 28.0])
    x = np.array([
        [30.0, 28.0, 26.0, 22.0],        # exactly -2 points a week
        [30.0, np.nan, 26.0, np.nan],    # two observed visits: (26 - 30) / 14
        [30.0, np.nan, np.nan, np.nan],  # one visit: no slope
        [20.0, 22.0, 18.0, 20.0],        # least squares: sum(dt*dx)/sum(dt^2)
    ])
    s = slopes(x, days)
    assert s[0] == pytest.approx(-2.0 / 7.0)
    assert s[1] == pytest.approx(-4.0 / 14.0)
    assert np.isnan(s[2])
    dt = days - days.mean()
    assert s[3] == pytest.approx((dt * (x[3] - x[3].mean())).sum() / (dt * dt).sum())


def _trial(**endpoint: object) -> dict:
    return {"name": "slope", "n": 40, "duration": "12 week", "scale": "IDS30",
            "visits": ["4 week", "8 week", "12 week"], "dropout": 0.2,
            "population": {"antidepressant_continued": 1.0},
            "arms": [{"name": "vns", "protocol": "vns_standard.yaml"},
                     {"name": "tau", "protocol": "tau_5yr.yaml"}],
            "endpoints": [{"id": "s", "type": "slope", "at": "12 week", **endpoint},
                          {"id": "d", "type": "difference", "of": "slope", "at": "12 week",
                           "arms": ["vns", "tau"]}]}


def test_arm_slope_is_the_mean_of_the_patients_fitted_slopes_per_month() -> None:
    res = run_trial(parse_trial(_trial(), PROTOCOLS), seed=4)
    d = res.first
    x = d.observed[scales.get_scale("IDS30").name]
    days = d.visit_h / 24.0
    arms = d.patients["arm"].to_numpy()
    ok = d.patients["status"].to_numpy() == 0
    per = {}
    for arm in ("vns", "tau"):
        fitted = [np.polyfit(days[np.isfinite(r)], r[np.isfinite(r)], 1)[0] * 30.4375
                  for r in x[(arms == arm) & ok] if np.isfinite(r).sum() >= 2]
        per[arm] = np.mean(fitted)
    e = res.endpoints.set_index(["endpoint", "arm"])["estimate"]
    assert e[("s", "vns")] == pytest.approx(per["vns"])
    assert e[("s", "tau")] == pytest.approx(per["tau"])
    assert e[("d", "vns vs tau")] == pytest.approx(per["vns"] - per["tau"])


def test_slope_per_week_and_from_a_later_visit() -> None:
    month = run_trial(parse_trial(_trial(), PROTOCOLS), seed=4).endpoints
    week = run_trial(parse_trial(_trial(per="week"), PROTOCOLS), seed=4).endpoints
    a = month.set_index(["endpoint", "arm"])["estimate"]
    b = week.set_index(["endpoint", "arm"])["estimate"]
    assert b[("s", "vns")] == pytest.approx(a[("s", "vns")] * 7.0 / 30.4375)
    late = run_trial(parse_trial(_trial(window_start="4 week"), PROTOCOLS), seed=4).endpoints
    assert late.set_index(["endpoint", "arm"])["estimate"][("s", "vns")] != a[("s", "vns")]


@pytest.mark.parametrize(("extra", "words"), [
    ({"per": "fortnight"}, "per"),
    ({"missing": "locf"}, "locf"),
])
def test_bad_slope_fields_are_one_line_errors(extra: dict, words: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_trial(_trial(**extra), PROTOCOLS)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_per_belongs_to_slope() -> None:
    data = _trial()
    data["endpoints"] = [{"type": "mean_change", "at": "12 week", "per": "week"}]
    with pytest.raises(ValidationError) as exc:
        parse_trial(data, PROTOCOLS)
    assert "per: applies to slope" in str(exc.value)
