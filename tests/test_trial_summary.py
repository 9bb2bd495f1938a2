"""What `moodtwin trial` reports: the summary interval over few replicates, time-in-response
intervals within 0-1, published claims with their verdict, and endpoints too few patients
leave without a value."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from moodtwin.cli import app
from moodtwin.trials import TrialResult, parse_trial, run_trial
from moodtwin.trials._endpoints import _per_patient, shortfall
from moodtwin.trials._report import _bands
from moodtwin.trials._stats import mean_ci, wilson

PROTOCOLS = Path(__file__).resolve().parents[1] / "examples" / "protocols"
_TRIAL = {
    "name": "claims and shares", "n": 20, "duration": "7 d", "visits": ["1 d", "4 d", "7 d"],
    "population": {"antidepressant_continued": 0.0},
    "arms": [{"name": "ketamine", "protocol": "ketamine_single_iv"},
             {"name": "midazolam", "protocol": "midazolam_active_placebo"}],
    "endpoints": [
        {"id": "diff", "type": "difference", "of": "mean_change", "at": "7 d",
         "arms": ["ketamine", "midazolam"],
         "published": {"claim": "no_difference", "test": "welch_t"}},
        {"id": "tir", "type": "time_in_response", "at": "7 d"},
        {"id": "resp", "type": "response_rate", "at": "1 d"}],
}


def _fabricated(replicates: int, rows: list[tuple[str, str, float, float, float]]
                ) -> TrialResult:
    """A result whose endpoints table is given: (endpoint, arm, estimate, low, high) per
    replicate, the same rows in every replicate."""
    trial = parse_trial(_TRIAL, PROTOCOLS)
    types = {"diff": "difference", "tir": "time_in_response", "resp": "response_rate",
             "rr": "risk_ratio"}
    table = pd.DataFrame([{"replicate": r, "endpoint": e, "type": types[e], "scale": "MADRS",
                           "at": "7 d", "arm": a, "estimate": est, "ci_low": lo,
                           "ci_high": hi, "n": 20}
                          for r in range(replicates) for e, a, est, lo, hi in rows])
    return TrialResult(trial, 0, replicates, None, table, pd.DataFrame(), [])  # type: ignore[arg-type]


def test_few_replicates_report_the_mean_of_their_own_intervals() -> None:
    """Two replicates with the same rate used to give [0.467, 0.467]: percentiles of two
    values are no interval. Below 10 replicates the interval is the mean of the replicates'
    own 95% intervals; from 10 on, the percentiles over replicates (what validate uses)."""
    lo, hi = (float(v) for v in wilson(7, 15))
    two = _fabricated(2, [("resp", "ketamine", 7 / 15, lo, hi)]).summary().iloc[0]
    assert (two["mean"], two["low"], two["high"]) == pytest.approx((7 / 15, lo, hi))
    assert 0.0 <= two["low"] < two["mean"] < two["high"] <= 1.0
    res = _fabricated(2, [("tir", "ketamine", 0.2, 0.1, 0.4)])
    res.endpoints.loc[1, ["estimate", "ci_low", "ci_high"]] = [0.4, 0.2, 0.6]
    row = res.summary().iloc[0]
    assert (row["mean"], row["low"], row["high"]) == pytest.approx((0.3, 0.15, 0.5))
    assert "own 95% confidence intervals" in res.interval
    ten = _fabricated(10, [("resp", "ketamine", 0.5, 0.3, 0.7)])
    ten.endpoints["estimate"] = np.linspace(0.4, 0.6, 10)
    row = ten.summary().iloc[0]
    assert (row["low"], row["high"]) == pytest.approx(
        tuple(np.percentile(np.linspace(0.4, 0.6, 10), [2.5, 97.5])))
    assert ten.interval.startswith("2.5-97.5 percentiles")


def test_a_published_claim_is_scored_per_replicate_in_the_summary_and_json() -> None:
    res = _fabricated(3, [("diff", "ketamine vs midazolam", -2.0, -5.0, 1.0),
                          ("resp", "ketamine", 0.5, 0.3, 0.7)])
    res.endpoints.loc[2, ["ci_low", "ci_high"]] = [-6.0, -1.0]  # significant: claim fails
    res.endpoints.loc[4, ["ci_low", "ci_high"]] = [np.nan, np.nan]  # no interval: fails
    s = res.summary().set_index("endpoint")
    assert s.loc["diff", "claim"] == "no_difference" and s.loc["diff", "claim_holds_in"] == 1
    assert s.loc["resp", "claim"] == "" and pd.isna(s.loc["resp", "claim_holds_in"])
    rows = {r["endpoint"]: r for r in json.loads(json.dumps(res.to_json()))["endpoints"]}
    assert rows["diff"]["published_claim"] == {"claim": "no_difference", "holds_in": 1, "of": 3}
    assert rows["resp"]["published_claim"] is None


def test_ratio_replicates_average_on_the_log_scale() -> None:
    """Two replicates with equal arms' rates, risk ratios 0.091 and 3.5 (round 48's audit):
    their arithmetic mean 1.795 reads as a large effect; ratios average as logs, as the
    validation compares them (geometric mean 0.56), and so do their intervals."""
    res = _fabricated(2, [("rr", "ketamine", 0.091, 0.01, 0.8)])
    res.endpoints.loc[1, ["estimate", "ci_low", "ci_high"]] = [3.5, 0.9, 13.0]
    row = res.summary().iloc[0]
    assert row["mean"] == pytest.approx(np.sqrt(0.091 * 3.5))
    assert (row["low"], row["high"]) == pytest.approx((np.sqrt(0.01 * 0.9), np.sqrt(0.8 * 13)))


def test_trial_bands_follow_the_summary_rule() -> None:
    res = _fabricated(2, [("resp", "ketamine", 0.5, 0.3, 0.7)])
    res.trajectories = pd.DataFrame(
        {"replicate": [0, 1], "arm": ["a", "a"], "day": [7.0, 7.0],
         "mean_score": [20.0, 22.0], "sd": [5.0, 7.0], "response": [0.5, 0.7],
         "n": [10, 10]})
    band = _bands(res, "response").iloc[0]
    lo, hi = wilson(np.array([5, 7]), np.array([10, 10]))
    assert (band["low"], band["high"]) == pytest.approx((lo.mean(), hi.mean()))
    band = _bands(res, "mean_score").iloc[0]
    half = 1.96 * 6.0 / np.sqrt(10)
    assert (band["low"], band["high"]) == pytest.approx((21.0 - half, 21.0 + half))


def test_time_in_response_interval_stays_within_0_1() -> None:
    """Midazolam's time in response (seed 0, n 20): its t interval goes below 0."""
    trial = parse_trial(_TRIAL, PROTOCOLS)
    res = run_trial(trial, seed=0, n=20)
    e = next(x for x in trial.endpoints if x.id == "tir")
    assert mean_ci(_per_patient(res.first, e, "time_in_response", "midazolam"))[1] < 0.0
    rows = res.endpoints[res.endpoints["endpoint"] == "tir"]
    assert ((rows["ci_low"] > 0.0) & (rows["ci_high"] < 1.0)).all()
    assert (rows["ci_low"] < rows["estimate"]).all() and not res.notes


def test_shortfall_names_the_endpoint_the_count_and_the_need() -> None:
    row = {"endpoint": "tir", "arm": "sham", "type": "time_in_response", "estimate": 0.5,
           "ci_low": np.nan, "ci_high": np.nan, "n": 1}
    assert shortfall(row) == ("tir (sham): no 95% interval, 1 patient(s) analysed - too few "
                              "(needs at least 2)")
    assert "needs at least 2 per arm" in shortfall({**row, "type": "difference", "n": 3,
                                                    "estimate": np.nan})
    assert "not estimable (an arm with too few" in shortfall({**row, "type": "hazard_ratio",
                                                              "n": 30})
    assert shortfall({**row, "ci_low": 0.2, "ci_high": 0.8}) is None


def test_cli_trial_prints_claim_verdicts_and_warns_of_too_few_patients(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(_TRIAL))
    r = CliRunner().invoke(app, ["trial", str(path), "--n", "20", "-r", "2", "--out",
                                 str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    line = next(x for x in r.output.splitlines() if x.strip().startswith("diff "))
    held = json.loads((tmp_path / "a" / "result.json").read_text())["endpoints"][0]
    assert held["published_claim"]["of"] == 2
    assert (f"published: no_difference, holds in {held['published_claim']['holds_in']} of 2 "
            "simulated trial(s)") in line
    table = pd.read_csv(tmp_path / "a" / "endpoints.csv")
    assert {"claim", "claim_holds_in"} <= set(table.columns) and "warning" not in r.output
    r = CliRunner().invoke(app, ["trial", str(path), "--n", "3", "--out", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    warnings = [x for x in r.output.splitlines() if x.startswith("warning: ")]
    assert any("diff (ketamine vs midazolam): no estimate" in x and "too few" in x
               for x in warnings), r.output
    notes = json.loads((tmp_path / "b" / "result.json").read_text())["notes"]
    assert len(notes) == len(warnings) and all(x.endswith("(in 1 of 1 replicate(s))")
                                               for x in notes)
