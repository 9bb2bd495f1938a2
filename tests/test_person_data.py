"""Personal twin, data in: record loading, row-by-row reports, HRV with NeuroKit2."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moodtwin.errors import ValidationError
from moodtwin.person import hrv_from_ecg, hrv_from_rr, load_person
from moodtwin.person._synthetic import synthetic_ecg, synthetic_rr

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "person" / "synthetic_vns"


def test_example_record_loads_cleanly() -> None:
    record, report = load_person(EXAMPLE)
    assert not report.errors, report.text()
    assert len(record.scores) == 67 and set(record.scores["scale"]) == {"MADRS", "PHQ9"}
    assert record.scores["time_h"].is_monotonic_increasing
    obs = set(record.biomarkers["observable"])
    assert obs == {"crp_mgl", "il6_pgml", "cortisol_ugdl", "bdnf_serum_ngml", "rmssd"}
    assert len(record.hrv) == 5 and set(record.hrv["kind"]) == {"rr", "ecg"}
    assert record.hrv["rmssd_ms"].between(10, 80).all()


@pytest.fixture()
def messy(tmp_path: Path) -> Path:
    folder = tmp_path / "messy"
    shutil.copytree(EXAMPLE, folder)
    (folder / "scores.csv").write_text(
        "date,scale,score,mood\n"
        "2024-01-08,MADRS,30,x\n"          # row 1 ok (unknown column 'mood' ignored)
        "2024-01-22,PHQ9,15,\n"            # row 2 ok
        "2024-01-15,PHQ9,16,\n"            # row 3 ok but out of order
        "2024-01-29,HAMD99,12,\n"          # row 4 unknown scale
        "2024-02-05,PHQ9,31,\n"            # row 5 out of range
        "2023-12-01,MADRS,30,\n"           # row 6 before start date
        "2024-13-01,MADRS,30,\n"           # row 7 not a date
        "2026-01-01,MADRS,20,\n")          # row 8 after the history
    (folder / "labs.csv").write_text(
        "date,analyte,value,unit\n2024-01-08,crp,2.0,mg/L\n2024-01-08,crpp,2.0,mg/L\n"
        "2024-01-08,il6,-1,pg/mL\n2024-01-08,cortisol,120,ng/mL\n2024-01-08,cortisol,331,nmol/L\n")
    rr = pd.read_csv(folder / "heart" / "2024-01-08_rr.csv")["rr_ms"].to_numpy()
    rr[[10, 50]] = [2600, 150]
    pd.DataFrame({"rr_ms": rr}).to_csv(folder / "heart" / "2024-01-08_rr.csv", index=False)
    ecg = pd.read_csv(folder / "heart" / "2024-07-08_ecg.csv").iloc[:4000]  # 32 s
    ecg.to_csv(folder / "heart" / "2024-07-08_ecg.csv", index=False)
    return folder


def test_bad_rows_are_reported_row_by_row_and_valid_rows_kept(messy: Path) -> None:
    record, report = load_person(messy)
    text = report.text()
    lines = {(i.file, i.row): i.message for i in report.issues}
    assert "unknown column 'mood'" in lines[("scores.csv", None)]
    assert "out of order" in lines[("scores.csv", 3)]
    assert "Unknown scale 'HAMD99'" in lines[("scores.csv", 4)]
    assert "not a PHQ9 score" in lines[("scores.csv", 5)]
    assert "before the start date" in lines[("scores.csv", 6)]
    assert "not a date" in lines[("scores.csv", 7)]
    assert "after the end of the treatment history" in lines[("scores.csv", 8)]
    assert list(record.scores["score"]) == [30, 16, 15]  # valid rows kept, sorted by date
    assert "did you mean 'crp'" in lines[("labs.csv", 2)]
    assert "outside the plausible range" in lines[("labs.csv", 3)]
    cortisol = record.biomarkers[record.biomarkers["observable"] == "cortisol_ugdl"]["value"]
    assert list(cortisol) == [pytest.approx(12.0)]  # 120 ng/mL converted to ug/dL
    assert "cannot be converted to ug/dL" in lines[("labs.csv", 5)]  # molar: no molar mass
    assert "2600" in lines[("heart/2024-01-08_rr.csv", 11)]
    assert "150" in lines[("heart/2024-01-08_rr.csv", 51)]
    assert "too short for HRV" in lines[("heart/2024-07-08_ecg.csv", None)]
    assert len(record.hrv) == 4  # the bad RR rows are left out, the recording still used
    assert "error: scores.csv row 4" in text


def test_record_without_valid_scores_is_refused(messy: Path) -> None:
    (messy / "scores.csv").write_text("date,scale,score\n2024-01-08,MADRS,99\n")
    with pytest.raises(ValidationError, match="no valid score rows"):
        load_person(messy)


def test_hrv_from_rr_recovers_rmssd_and_corrects_artifacts() -> None:
    rng = np.random.default_rng(0)
    rr = synthetic_rr(30.0, 65.0, 300.0, rng)
    assert hrv_from_rr(rr).rmssd_ms == pytest.approx(30.0, rel=0.05)
    bad = rr.copy()
    for k in (60, 150, 240):  # premature beats with compensatory pauses
        bad[k], bad[k + 1] = bad[k] - 300, bad[k + 1] + 300
    raw = np.sqrt(np.mean(np.diff(bad) ** 2))
    fixed = hrv_from_rr(bad)
    assert raw > 45.0  # the artifacts inflate the uncorrected RMSSD
    assert abs(fixed.rmssd_ms - 30.0) < 0.25 * (raw - 30.0)
    assert fixed.corrected >= 3
    assert fixed.hf_ms2 > 0 and fixed.lf_ms2 > 0
    with pytest.raises(ValidationError, match="too short"):
        hrv_from_rr(rr[:40])


def test_hrv_from_ecg_matches_rr() -> None:
    rng = np.random.default_rng(1)
    rr = synthetic_rr(35.0, 70.0, 90.0, rng)
    ecg = synthetic_ecg(rr, 250.0, rng)
    from_ecg = hrv_from_ecg(ecg, 250.0)
    assert from_ecg.rmssd_ms == pytest.approx(hrv_from_rr(rr).rmssd_ms, rel=0.1)
    assert np.isnan(from_ecg.lf_ms2)  # 90 s: too short for LF power
    with pytest.raises(ValidationError, match="too short"):
        hrv_from_ecg(ecg[: 250 * 40], 250.0)


def test_known_body_weight_sets_weight_based_doses(tmp_path: Path) -> None:
    from moodtwin.parameter_sets import calibrated_model
    from moodtwin.person._likelihood import Likelihood

    folder = tmp_path / "person"
    shutil.copytree(EXAMPLE, folder)
    (folder / "treatments.yaml").write_text(
        "name: ketamine series\nduration: 53 week\ntherapies:\n"
        "  - {type: ketamine_iv, dose: 0.5 mg/kg, at: [0 d, 2 d, 4 d]}\n")
    person = (folder / "person.yaml").read_text()
    (folder / "person.yaml").write_text(person + "body_weight: 110 kg\n")
    heavy, _ = load_person(folder)
    assert heavy.body_weight_kg == 110.0
    model = calibrated_model()
    light = type(heavy)(heavy.id, heavy.start_date, heavy.protocol, heavy.scores,
                        heavy.biomarkers, heavy.hrv)  # weight unknown: the typical one
    likes = [Likelihood(r.model_for(model), r) for r in (heavy, light)]
    one = {"vulnerability": np.array([0.0])}
    weight = [like.table(one)[0, model.parameter_index["body_weight"]] for like in likes]
    assert weight == [110.0, model.parameter("body_weight").value]
    first_day = [like.predict(one).scores[0][0, :3] for like in likes]
    assert not np.allclose(first_day[0], first_day[1])  # the PK (and so the course) differs
    (folder / "person.yaml").write_text(person + "body_weight: 110\n")
    with pytest.raises(ValidationError, match="body_weight.*no unit"):
        load_person(folder)
    (folder / "person.yaml").write_text(person + "body_weight: 900 kg\n")
    with pytest.raises(ValidationError, match="body_weight"):
        load_person(folder)


def test_bdnf_genotype_sets_the_met_carrier_parameter(tmp_path: Path) -> None:
    from moodtwin.parameter_sets import calibrated_model

    folder = tmp_path / "person"
    shutil.copytree(EXAMPLE, folder)
    person = (folder / "person.yaml").read_text()
    model = calibrated_model()
    unknown, _ = load_person(folder)
    assert unknown.model_for(model).parameter("bdnf_met").value == pytest.approx(0.34)
    for text, met in (("Val/Met", 1.0), ("met/met", 1.0), ("Val/Val", 0.0)):
        (folder / "person.yaml").write_text(person + f"bdnf_val66met: {text}\n")
        record, _ = load_person(folder)
        assert record.model_for(model).parameter("bdnf_met").value == met
    (folder / "person.yaml").write_text(person + "bdnf_val66met: A/G\n")
    with pytest.raises(ValidationError, match="bdnf_val66met 'A/G'.*Val/Val, Val/Met, Met/Met"):
        load_person(folder)


def test_pupil_rows_are_read_range_checked_and_enter_the_likelihood(tmp_path: Path) -> None:
    from moodtwin.parameter_sets import calibrated_model
    from moodtwin.person import person_prior
    from moodtwin.person._fit import fitted_parameters
    from moodtwin.person._likelihood import Likelihood

    folder = tmp_path / "person"
    shutil.copytree(EXAMPLE, folder)
    labs = (folder / "labs.csv").read_text()
    plain, _ = load_person(folder)
    (folder / "labs.csv").write_text("date,analyte,value,unit\n2024-03-04,pupil,4.6,mm\n"
                                     "2024-04-01,pupil,0.45,cm\n2024-04-29,pupil,12,mm\n"
                                     + labs.split("\n", 1)[1])
    record, report = load_person(folder)
    assert [(i.file, i.row, i.message) for i in report.errors] == [
        ("labs.csv", 3, "pupil 12 mm is outside the plausible range 1.5-9 mm")]
    pupil = record.biomarkers[record.biomarkers["observable"] == "pupil_diameter"]
    assert list(pupil["value"]) == [pytest.approx(4.6), pytest.approx(4.5)]  # cm -> mm
    assert list(pupil["log_sd"]) == [0.08, 0.08]
    names = fitted_parameters(record)
    assert "pupil_ref" in names and "pupil_ref" not in fitted_parameters(plain)
    assert person_prior(names, calibrated_model()).names == tuple(names)

    model = calibrated_model()
    ref = {"pupil_ref": np.array([3.0, 4.0, 5.0])}
    like, without = Likelihood(record.model_for(model), record), Likelihood(
        plain.model_for(model), plain)
    predicted = like.predict(ref).biomarkers[:, (record.biomarkers["observable"]
                                                 == "pupil_diameter").to_numpy()]
    assert np.allclose(predicted - predicted[1], np.array([[-1.0], [0.0], [1.0]]))
    z = (np.log(pupil["value"].to_numpy()) - np.log(predicted)) / 0.08
    term = -0.5 * np.sum(z**2, axis=1) - 2 * np.log(0.08)  # log-normal, 2 readings
    assert like(ref) - without(ref) == pytest.approx(term, rel=1e-9)
    assert np.ptp(without(ref)) == pytest.approx(0.0, abs=1e-9)  # pupil_ref: only the pupil
