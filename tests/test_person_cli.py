"""Personal twin commands: ``moodtwin fit`` and ``moodtwin forecast`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from moodtwin.cli import app

ROOT = Path(__file__).resolve().parents[1]
PERSON = ROOT / "examples" / "person" / "synthetic_vns"
CANDIDATES = ROOT / "examples" / "person" / "candidates"
runner = CliRunner()


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit")
    res = runner.invoke(app, ["fit", str(PERSON), "--out", str(out), "--steps", "30",
                              "--burn", "10"])
    assert res.exit_code == 0, res.output
    assert "RESEARCH USE ONLY" in res.output
    assert "R-hat" in res.output and "k_LC" in res.output
    return out


def test_fit_writes_posterior_and_diagnostics(fitted: Path) -> None:
    info = json.loads((fitted / "fit.json").read_text())
    assert info["parameters"][:2] == ["vulnerability", "daily_sd"]
    draws = pd.read_csv(fitted / "posterior_draws.csv")
    assert len(draws) == info["walkers"] * 20 and list(draws.columns) == info["parameters"]
    summary = pd.read_csv(fitted / "posterior_summary.csv")
    assert {"rhat", "ess_bulk", "sd_ratio", "q5", "q95"} <= set(summary.columns)
    assert (fitted / "data_report.txt").read_text().startswith("scores.csv: 67 valid")


def test_forecast_compares_candidates(fitted: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, [
        "forecast", str(PERSON), "--fit", str(fitted), "--out", str(tmp_path),
        "-p", str(CANDIDATES / "continue_vns.yaml"), "-p",
        str(CANDIDATES / "vns_plus_ketamine.yaml"), "--at", "2w,6mo", "--draws", "20"])
    assert res.exit_code == 0, res.output
    assert "RESEARCH USE ONLY" in res.output and "P(response)" in res.output
    assert "at the forecast start), P(response)" in res.output  # the baseline it is relative to
    assert "taken from the population: k_syn" in res.output  # never had ketamine
    outcomes = pd.read_csv(tmp_path / "forecast_outcomes.csv")
    assert len(outcomes) == 4
    ket = outcomes[outcomes["candidate"].str.contains("ketamine")].set_index("at")
    vns = outcomes[~outcomes["candidate"].str.contains("ketamine")].set_index("at")
    assert ket.loc["2w", "MADRS_median"] < vns.loc["2w", "MADRS_median"] - 3  # acute relief
    effects = pd.read_csv(tmp_path / "side_effects.csv")
    assert set(effects["side_effect"]) == {"voice_alteration", "dissociation"}
    assert "RESEARCH USE ONLY" in (tmp_path / "forecast.html").read_text()
    assert (tmp_path / "forecast.png").stat().st_size > 10_000


@pytest.mark.parametrize(("args", "message"), [
    (["--at", "6 parsec"], "--at: '6 parsec' has unit"),  # one time grammar: 6 fortnights is fine
    (["--at", "2y"], "lasts only 27 week"),
    (["--start", "2023-01-01"], "outside the treatment history"),
])
def test_forecast_bad_options_give_one_line(fitted: Path, tmp_path: Path, args: list[str],
                                            message: str) -> None:
    res = runner.invoke(app, ["forecast", str(PERSON), "--fit", str(fitted), "--out",
                              str(tmp_path), "-p", str(CANDIDATES / "continue_vns.yaml"),
                              "--draws", "20", *args])
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_six_months_reads_the_end_of_a_26_week_candidate(fitted: Path, tmp_path: Path) -> None:
    """New-user audit (round 40): the default '--at 6w,6mo' failed on a 26-week candidate
    ('6mo' is 26.09 weeks); a day's slack reads its end. A candidate without side effects
    writes no pandas FutureWarning (empty frames are left out of the concatenation)."""
    import warnings

    cand = tmp_path / "six_months.yaml"
    cand.write_text((CANDIDATES / "continue_vns.yaml").read_text()
                    .replace("duration: 27 week", "duration: 26 week"))
    none = tmp_path / "nothing.yaml"
    none.write_text("name: nothing more\nduration: 26 week\ntherapies: []\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        res = runner.invoke(app, ["forecast", str(PERSON), "--fit", str(fitted), "--out",
                                  str(tmp_path / "out"), "-p", str(cand), "-p", str(none),
                                  "--draws", "20"])
    assert res.exit_code == 0, res.output
    outcomes = pd.read_csv(tmp_path / "out" / "forecast_outcomes.csv")
    assert list(outcomes["at"]) == ["6w", "6mo", "6w", "6mo"]
    effects = pd.read_csv(tmp_path / "out" / "side_effects.csv")
    assert set(effects["candidate"]) == {"Continue VNS at 1.25 mA"}


def test_fit_of_a_missing_record_gives_one_line(tmp_path: Path) -> None:
    res = runner.invoke(app, ["fit", str(tmp_path / "nobody")])
    assert res.exit_code == 2 and "is not a folder" in res.output
