"""``moodtwin calibrate --condition-on-sources``: the values the calibration set leaves
unpinned are solved on external sources inside the command and written into the set it
writes (``moodtwin.calibration._sources.condition_calibrated_set``).

The simulations that solve them take about a minute and are checked against their sources in
``tests/test_model_v2.py`` (Stone 2022, An 2021 on the shipped set); here they are replaced by
stand-ins that record what they were asked, so the tests check what goes where: the search
range taken from the run's identifiability table, and the values in the set's values, every
ensemble member and the report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from moodtwin.calibration import _sources
from moodtwin.calibration._sources import W_5HT_SEARCH, condition_calibrated_set
from moodtwin.cli import app
from moodtwin.parameter_sets import ParameterSet

MURROUGH = (Path(__file__).resolve().parents[1] / "examples" / "trials"
            / "ketamine_murrough2013.yaml")


@pytest.fixture
def stand_ins(monkeypatch) -> dict[str, object]:
    """Replace the five simulating functions; record the parameters they were given."""
    asked: dict[str, object] = {}

    def w_lhb(parameters, **_):
        asked["w_lhb_point"] = parameters.values["w_pot"]
        return 1.23456

    def w_5ht(parameters, *, w_5ht_range, **_):
        asked["w_5ht_range"] = w_5ht_range
        asked["w_lhb_seen"] = parameters.values["w_lhb"]
        return 0.45678

    monkeypatch.setattr(_sources, "condition_w_lhb", w_lhb)
    monkeypatch.setattr(_sources, "condition_on_sources", w_5ht)
    monkeypatch.setattr(_sources, "esketamine_first_dose", lambda ps: (6.1, 9.9))
    monkeypatch.setattr(_sources, "antidepressant_minus_placebo", lambda ps: 1.76)
    monkeypatch.setattr(_sources, "star_d_log_odds_ratio", lambda ps: (0.4, 0.2, 0.98))
    return asked


def _written_set(path: Path) -> Path:
    path.write_text(yaml.safe_dump({
        "parameters": {"w_pot": {"value": 0.83, "source": "calibrated"}},
        "population": {"variability.k_LC.omega": {"value": 0.5, "source": "calibrated"}},
        "ensemble": [{"w_pot": 0.8}, {"w_pot": 0.86}],
        "calibration": {"method": "ABC-SMC"}}))
    return path


def test_conditioning_searches_the_runs_interval_and_fixes_the_values_everywhere(
        tmp_path, stand_ins) -> None:
    """A run that calibrated ``w_5ht``: it is searched inside its 90 % posterior interval,
    ``w_lhb`` is solved on the calibrated point (not the definition) and ``w_5ht`` after it;
    STAR*D's response rates are written as a check."""
    path = _written_set(tmp_path / "cal.yaml")
    table = pd.DataFrame({"parameter": ["w_5ht"], "low_90": [0.2], "high_90": [0.7]})
    report = condition_calibrated_set(path, table)
    assert stand_ins == {"w_lhb_point": 0.83, "w_5ht_range": (0.2, 0.7), "w_lhb_seen": 1.2346}
    doc = yaml.safe_load(path.read_text())
    assert doc["parameters"]["w_lhb"]["value"] == 1.2346
    assert doc["parameters"]["w_5ht"]["value"] == 0.4568
    assert "Stone et al. 2022" in doc["parameters"]["w_5ht"]["source"]
    assert "An et al. 2021" in doc["parameters"]["w_lhb"]["source"]
    assert doc["population"] == {"variability.k_LC.omega": {"value": 0.5,
                                                            "source": "calibrated"}}
    assert all(m["w_5ht"] == 0.4568 and m["w_lhb"] == 1.2346 for m in doc["ensemble"])
    assert [m["w_pot"] for m in doc["ensemble"]] == [0.8, 0.86]  # the rest of each member kept
    assert doc["calibration"]["conditioned_on_sources"] == report
    assert report["esketamine_minus_placebo_madrs_4h_24h"] == [6.1, 9.9]
    assert report["star_d_response_level1_level3"] == [0.4, 0.2]
    assert ParameterSet.load(path).values["w_5ht"] == 0.4568


def test_a_run_that_held_w_5ht_searches_the_wide_range(tmp_path, stand_ins) -> None:
    """A run that held ``w_5ht`` at the definition (the default priors, round 43 on) searches
    it inside :data:`W_5HT_SEARCH`."""
    path = _written_set(tmp_path / "cal.yaml")
    condition_calibrated_set(path, pd.DataFrame({"parameter": ["w_pot"], "low_90": [0.8],
                                                 "high_90": [0.86]}))
    assert stand_ins["w_5ht_range"] == W_5HT_SEARCH


def test_cli_calibrate_conditions_the_set_it_writes(tmp_path, stand_ins) -> None:
    """The command line: ``--condition-on-sources`` writes the conditioned values into the set
    and prints them with the sources' numbers; the set records the command that wrote it
    (the options given, not their defaults)."""
    out = tmp_path / "cal.yaml"
    r = CliRunner().invoke(app, ["calibrate", str(MURROUGH), "-p", "w_pot", "--particles", "4",
                                 "--generations", "1", "--n-max", "20",
                                 "--condition-on-sources", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Conditioned on sources: w_lhb 1.2346" in r.output and "w_5ht 0.4568" in r.output
    doc = yaml.safe_load(out.read_text())
    assert doc["parameters"]["w_5ht"]["value"] == 0.4568
    assert doc["calibration"]["command"] == (
        f"moodtwin calibrate {MURROUGH} --out {out} --parameter w_pot --n-max 20 --particles 4 "
        "--generations 1 --condition-on-sources")
    assert all(m["w_lhb"] == 1.2346 for m in doc["ensemble"])
