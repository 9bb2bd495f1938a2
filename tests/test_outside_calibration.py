"""Context of use: where a trial design leaves the calibration set (moodtwin.outside_calibration).

The facts checked come from the trial files (the design's population and schedule as its
paper gives them, the calibration set's trials as theirs do), not from the code's output."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import moodtwin
from moodtwin.catalogue import trial_catalogue
from moodtwin.cli import app
from moodtwin.trials import load_trial, parse_trial
from moodtwin.trials._domain import calibration_domain, exposures

ROOT = Path(__file__).resolve().parents[1]
DESIGNS = ROOT / "examples" / "trials" / "designs"
PROTOCOLS = ROOT / "examples" / "protocols"
TRANSFORM3 = DESIGNS / "esketamine_transform3_older_adults.yaml"


def test_the_calibration_set_covers_what_its_files_say() -> None:
    d = calibration_domain()
    names = {load_trial(f).name for f in trial_catalogue().glob("*.yaml")
             if load_trial(f).role == "calibration"}
    assert set(d.trials) == names
    # every calibration ketamine infusion is a single 0.5 mg/kg dose read at 24 h-7 d
    # (Murrough 2013, Wilkinson 2019 day 1, the day-7 meta-analysis)
    ket = d.therapies["ketamine_iv"]
    assert set(ket.deliveries) == {1} and (min(ket.reads_h), max(ket.reads_h)) == (24.0, 168.0)
    assert ket.blinded and not ket.open_label
    # TRANSFORM-2: eight esketamine sessions over four weeks, the oldest mean age (46 years)
    assert set(d.therapies["esketamine_nasal"].deliveries) == {8}
    assert d.population["age"][1] == 46.0


def test_published_numbers_of_the_calibration_set_lie_inside_it() -> None:
    """Restricted to the endpoints whose published values are fitted, each calibration file
    gives no note."""
    for f in sorted(trial_catalogue().glob("*.yaml")):
        t = load_trial(f)
        if t.role != "calibration":
            continue
        fitted = t.model_copy(update={"endpoints": [
            e for e in t.endpoints if e.published is not None and (e.role or t.role)
            == "calibration"]})
        assert moodtwin.outside_calibration(fitted) == [], f.name


def test_older_adults_are_an_extrapolation() -> None:
    notes = moodtwin.outside_calibration(load_trial(TRANSFORM3))
    assert notes == ["mean age 70 years: the calibration trials' means span 25-46"]


def test_six_open_infusions_name_doses_times_and_blinding() -> None:
    """Murrough et al. 2013 (Biol Psychiatry 74:250): six open-label infusions over 12 days."""
    trial = load_trial(DESIGNS / "ketamine_murrough2013_six_infusions.yaml")
    assert exposures(trial)["ketamine_iv"].deliveries == [6]
    (line,) = moodtwin.outside_calibration(trial)
    assert line.startswith("ketamine_iv: 6 doses or sessions per arm (calibration: 1)")
    assert "read 12 d, 96 d after the first dose" in line and "open label" in line  # relapse


def _trial(scale: str, *protocols: str) -> dict:
    return {"name": "user trial", "duration": "4 week", "visits": ["1 week", "2 week"],
            "scale": scale, "n": 20,
            "arms": [{"name": f"arm{i}", "protocol": str(PROTOCOLS / p)}
                     for i, p in enumerate(protocols)],
            "endpoints": [{"type": "mean_change", "at": "2 week"}]}


def test_an_uncalibrated_therapy_and_scale_are_named() -> None:
    notes = moodtwin.outside_calibration(parse_trial(_trial("HAMD6", "tcvns_ptsd_12wk.yaml")))
    assert any(n.startswith("tcvns: in no calibration trial") for n in notes)
    assert any(n.startswith("primary scale HAMD6:") for n in notes)
    # Hein 2013's design (taVNS against sham for two weeks, blinded) lies inside; the same
    # stimulation open label does not
    blinded = parse_trial(_trial("MADRS", "tavns_2wk.yaml", "tavns_sham_2wk.yaml"))
    assert moodtwin.outside_calibration(blinded) == []
    assert moodtwin.outside_calibration(parse_trial(_trial("MADRS", "tavns_2wk.yaml"))) == [
        "tavns: open label (calibration: blinded only)"]


@pytest.mark.parametrize("where", ["cli", "report"])
def test_trial_output_carries_the_notes(tmp_path: Path, where: str) -> None:
    res = CliRunner().invoke(app, ["trial", str(TRANSFORM3), "--n", "6", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    text = res.output if where == "cli" else (tmp_path / "report.html").read_text()
    assert "Outside the calibration set" in text
    assert "mean age 70 years" in text


def test_patient_dependent_dosing_counts_one_protocol_per_patient() -> None:
    """Toxin 29 U for women, 39 U for men (Wollmer et al. 2012): each patient gets one
    injection session, as in the calibration's Magid pool, so no note; the alternatives are
    not added up as if one patient received both (round 48's audit)."""
    trial = load_trial(DESIGNS / "botulinum_dose_by_sex.yaml")
    assert exposures(trial)["botulinum_glabellar"].deliveries == [1]
    assert not any("doses or sessions" in n for n in moodtwin.outside_calibration(trial))


def test_usual_care_inside_a_blinded_trial_is_not_called_blinded() -> None:
    """Round 48's audit: in a VNS-vs-sham trial with usual care in both arms (RECOVER-like),
    usual care was noted as 'blinded'; patients know their usual care is active, as the
    protocol compiler has it."""
    sham = {"name": "sham VNS + usual care", "duration": "12 week", "therapies": [
        {"type": "vns", "current": "1.0 mA", "start": "2 week", "sham": True},
        {"type": "treatment_as_usual", "start": "0 d"}]}
    active = {**sham, "name": "VNS + usual care", "therapies": [
        {"type": "vns", "current": "1.0 mA", "start": "2 week"},
        {"type": "treatment_as_usual", "start": "0 d"}]}
    trial = parse_trial({"name": "blinded VNS", "n": 20, "duration": "12 week",
                         "visits": ["12 week"],
                         "arms": [{"name": "vns", "protocol": active},
                                  {"name": "sham", "protocol": sham}],
                         "endpoints": [{"type": "response_rate", "at": "12 week"}]}, PROTOCOLS)
    tau = exposures(trial)["treatment_as_usual"]
    assert tau.open_label and not tau.blinded
    assert exposures(trial)["vns"].blinded
