"""Personal twin, data in: the mistakes of a new user's record (duplicates, decimal commas,
';' files, foreign dates, a CRP of an acute infection, heart rates for RR intervals) each
get one clear line naming file, row, value and what is allowed."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from moodtwin.errors import MissingExtraError, RecordError
from moodtwin.person import load_person
from moodtwin.person._synthetic import synthetic_rr

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "person" / "synthetic_vns"
SCORES = "date,scale,score\n2024-01-08,MADRS,30\n2024-01-15,PHQ9,16\n2024-01-22,MADRS,28\n"
LABS = "date,analyte,value,unit\n2024-01-08,crp,2.5,mg/L\n2024-01-08,cortisol,16,ug/dL\n"


@pytest.fixture()
def record(tmp_path: Path) -> Path:
    """person.yaml and treatments.yaml of the example, three scores and two labs."""
    folder = tmp_path / "rec"
    folder.mkdir()
    for name in ("person.yaml", "treatments.yaml"):
        shutil.copy(EXAMPLE / name, folder / name)
    (folder / "scores.csv").write_text(SCORES)
    (folder / "labs.csv").write_text(LABS)
    return folder


def _issues(folder: Path) -> dict[tuple[str, int | None], tuple[str, str]]:
    _, report = load_person(folder)
    return {(i.file, i.row): (i.severity, i.message) for i in report.issues}


def _refusal(folder: Path) -> str:
    with pytest.raises(RecordError) as exc:
        load_person(folder)
    return str(exc.value)


# ---------------------------------------------------------------------------- duplicates
def test_conflicting_scores_of_one_date_are_errors_naming_every_value(record: Path) -> None:
    (record / "scores.csv").write_text(SCORES + "2024-01-15,PHQ-9,9\n2024-01-15,PHQ9,17\n"
                                       "2024-01-15,MADRS,29\n")
    rec, report = load_person(record)
    issues = {(i.file, i.row): i for i in report.issues}
    for row, here in [(2, "16"), (4, "9"), (5, "17")]:
        issue = issues[("scores.csv", row)]
        assert issue.severity == "error"
        assert f"PHQ9 {here} here" in issue.message and "2024-01-15" in issue.message
        assert all(f"{v} in row {r}" in issue.message for r, v in [(2, "16"), (4, "9"),
                                                                   (5, "17")] if r != row)
    # none of the conflicting PHQ9 rows is used; MADRS on that date is another scale
    assert list(rec.scores["scale"]) == ["MADRS", "MADRS", "MADRS"]
    assert report.kept["scores.csv"] == 3


def test_an_identical_repeat_counts_once_with_a_warning(record: Path) -> None:
    (record / "scores.csv").write_text(SCORES + "2024-01-15,PHQ-9,16\n")
    (record / "labs.csv").write_text(LABS + "2024-01-08,crp,0.25,mg/dL\n")
    rec, report = load_person(record)
    issues = {(i.file, i.row): i for i in report.issues}
    assert issues[("scores.csv", 4)].severity == "warning"
    assert "repeats row 2" in issues[("scores.csv", 4)].message
    assert issues[("labs.csv", 3)].severity == "warning"  # 0.25 mg/dL is 2.5 mg/L
    assert list(rec.scores["score"]) == [30, 16, 28]
    assert list(rec.biomarkers["value"]) == [pytest.approx(2.5), pytest.approx(16.0)]


def test_conflicting_labs_of_one_date_are_errors_naming_both_values(record: Path) -> None:
    (record / "labs.csv").write_text(LABS + "2024-01-08,crp,9.0,mg/L\n")
    rec, report = load_person(record)
    issues = {(i.file, i.row): i for i in report.issues}
    assert issues[("labs.csv", 1)].severity == issues[("labs.csv", 3)].severity == "error"
    assert "crp 2.5 mg/L here but 9 mg/L in row 3" in issues[("labs.csv", 1)].message
    assert "crp 9 mg/L here but 2.5 mg/L in row 1" in issues[("labs.csv", 3)].message
    assert list(rec.biomarkers["observable"]) == ["cortisol_ugdl"]


def test_scores_at_different_times_of_one_day_are_not_duplicates(record: Path) -> None:
    (record / "scores.csv").write_text(SCORES + "2024-01-15 18:00,PHQ9,12\n")
    rec, report = load_person(record)
    assert not report.errors, report.text()
    assert len(rec.scores) == 4


# ---------------------------------------------------------------------------- CRP
def test_a_crp_of_an_acute_infection_is_kept_with_a_warning(record: Path) -> None:
    (record / "labs.csv").write_text(LABS.replace("2.5,mg/L", "4.1,mg/dL"))
    rec, report = load_person(record)
    assert not report.errors
    (warning,) = [i for i in report.issues if i.file == "labs.csv"]
    assert warning.row == 1 and warning.severity == "warning"
    for part in ("crp 41 mg/L", "4.1 mg/dL as written", "above 10 mg/L", "acute infection",
                 "dominate"):
        assert part in warning.message, warning.message
    assert rec.biomarkers["value"].max() == pytest.approx(41.0)  # kept


# ---------------------------------------------------------------------------- commas
def test_a_quoted_decimal_comma_gets_the_decimal_point_hint(record: Path) -> None:
    (record / "scores.csv").write_text(SCORES + '2024-01-29,PHQ9,"16,5"\n')
    (record / "labs.csv").write_text(LABS + '2024-01-15,crp,"4,1",mg/L\n')
    issues = _issues(record)
    assert "score '16,5' has a decimal comma: write 16.5" in issues[("scores.csv", 4)][1]
    assert "value '4,1' has a decimal comma: write 4.1" in issues[("labs.csv", 3)][1]


def test_a_row_with_one_field_too_many_is_named_with_its_decimal_comma(record: Path) -> None:
    (record / "labs.csv").write_text(LABS + "2024-01-15,crp,4,1,mg/L\n")
    rec, report = load_person(record)
    assert [(i.row, i.message) for i in report.issues] == [
        (3, "5 fields where the header has 4 (date, analyte, value, unit): a decimal comma? "
            "4,1 splits a number in two; write 4.1")]
    assert len(rec.biomarkers) == 2  # the other rows are read as before


def test_a_row_with_a_field_too_many_without_a_comma_number(record: Path) -> None:
    (record / "labs.csv").write_text(LABS + "2024-01-15,crp,4.1,mg/L,fasting\n")
    issues = _issues(record)
    assert issues[("labs.csv", 3)][1].startswith("5 fields where the header has 4")
    assert "decimal comma" not in issues[("labs.csv", 3)][1]


def test_a_decimal_comma_filling_the_note_is_not_read_as_a_whole_number(record: Path) -> None:
    (record / "scores.csv").write_text("date,scale,score,note\n" + SCORES.split("\n", 1)[1]
                                       + "2024-01-29,PHQ9,16,5\n2024-02-05,PHQ9,15,after flu\n")
    rec, report = load_person(record)
    assert [(i.row, i.message) for i in report.issues] == [
        (4, "score 16 followed by note 5: a decimal comma? 16,5 splits a number in two; "
            "write 16.5")]
    assert list(rec.scores["score"]) == [30, 16, 28, 15]


def test_an_unclosed_quote_names_its_line_and_refuses_the_file(record: Path) -> None:
    (record / "labs.csv").write_text(LABS + '# drawn fasting\n\n2024-01-15,crp,"4.1,mg/L\n'
                                     "2024-01-22,crp,3.9,mg/L\n")
    assert "cannot be read as CSV (the row on line 6: unexpected end of data)" in _refusal(
        record)


def test_comment_and_blank_lines_are_skipped_and_tabs_separate(record: Path) -> None:
    labs = LABS.replace(",", "\t").replace("2.5", "2,5")
    (record / "labs.csv").write_text(f"# from the lab portal\n{labs}\n\t\t\t\n"
                                     "2024-01-15\tcrp\t3,9\tmg/L\n")
    rec, report = load_person(record)
    assert not report.issues, report.text()
    assert list(rec.biomarkers["value"]) == [2.5, 16.0, 3.9]


def test_semicolon_files_with_decimal_commas_are_read(record: Path) -> None:
    (record / "labs.csv").write_text("date;analyte;value;unit\n2024-01-08;crp;2,5;mg/L\n"
                                     "2024-01-08;cortisol;16;ug/dL\n")
    (record / "scores.csv").write_text(SCORES.replace(",", ";") + "2024-01-29;PHQ9;14,5\n")
    rec, report = load_person(record)
    assert not report.issues, report.text()
    assert list(rec.biomarkers["value"]) == [pytest.approx(2.5), pytest.approx(16.0)]
    assert list(rec.scores["score"]) == [30, 16, 28, 14.5]


def test_a_decimal_point_among_decimal_commas_is_ambiguous(record: Path) -> None:
    (record / "labs.csv").write_text("date;analyte;value;unit\n2024-01-08;crp;2,5;mg/L\n"
                                     "2024-01-08;plasma_bdnf;1.500;pg/mL\n")
    issues = _issues(record)
    assert issues[("labs.csv", 2)][1] == ("value '1.500' has a decimal point in a file of "
                                          "decimal commas: write 1,500 (or 1500 if the point "
                                          "separates thousands)")


def test_a_missing_unit_is_named(record: Path) -> None:
    (record / "labs.csv").write_text(LABS + "2024-01-15,crp,4.1,\n2024-01-22,crp,3.9\n")
    issues = _issues(record)
    assert issues[("labs.csv", 3)] == ("error", "missing unit: give crp in mg/L (or a "
                                                "unit convertible to it)")
    assert issues[("labs.csv", 4)][1].startswith("missing unit")


# ---------------------------------------------------------------------------- dates
def test_day_month_year_dates_refuse_the_labs_naming_the_iso_format(record: Path) -> None:
    (record / "labs.csv").write_text(LABS.replace("2024-01-08", "08.01.2024"))
    message = _refusal(record)
    assert "labs.csv" in message and "no lab row can be used" in message
    assert "'08.01.2024'" in message and "YYYY-MM-DD" in message and "2024-01-08" in message
    assert "\n" not in message


def test_month_day_year_dates_name_the_iso_format_without_guessing(record: Path) -> None:
    (record / "scores.csv").write_text(SCORES + "01/29/2024,PHQ9,15\n")
    severity, message = _issues(record)[("scores.csv", 4)]
    assert severity == "error" and "'01/29/2024'" in message
    assert "may be month/day or day/month; write YYYY-MM-DD" in message
    assert "2024-01-29" not in message


# ---------------------------------------------------------------------------- whole files
def test_a_labs_file_that_cannot_be_read_is_not_an_empty_one(record: Path) -> None:
    (record / "labs.csv").write_bytes(LABS.encode("utf-16"))
    assert "UTF-16" in _refusal(record)
    (record / "labs.csv").write_text("date,analyte,value\n2024-01-08,crp,2.5\n")
    assert "missing column(s) ['unit']" in _refusal(record)
    (record / "labs.csv").write_text("date,analyte,value,unit\n")
    rec, report = load_person(record)  # a header without rows: no labs, no problem
    assert rec.biomarkers.empty and not report.issues


def test_an_empty_labs_file_is_reported_and_the_record_used(record: Path) -> None:
    (record / "labs.csv").write_text("")
    rec, report = load_person(record)
    assert [(i.severity, i.message) for i in report.issues] == [
        ("warning", "the file is empty (not even a header)")]
    assert rec.biomarkers.empty


def test_a_refused_labs_file_exits_2_in_one_line(record: Path, tmp_path: Path) -> None:
    from moodtwin.cli import app

    (record / "labs.csv").write_text(LABS.replace("2024-01-08", "08.01.2024"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["fit", str(record), "--out", str(out)])
    assert result.exit_code == 2
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "YYYY-MM-DD" in errors[0]
    assert "labs.csv row 2" in (out / "data_report.txt").read_text()


# ---------------------------------------------------------------------------- heart
def test_heart_rates_in_place_of_rr_intervals_are_named_once(record: Path) -> None:
    rr = synthetic_rr(40.0, 65.0, 300.0, np.random.default_rng(0))
    (record / "heart").mkdir()
    (record / "heart" / "2024-01-08_rr.csv").write_text(
        "rr_ms\n" + "\n".join(f"{60000.0 / x:.1f}" for x in rr) + "\n")
    rec, report = load_person(record)
    assert [(i.file, i.row) for i in report.issues] == [("heart/2024-01-08_rr.csv", None)]
    message = report.issues[0].message
    assert "heart rates in beats/min" in message and "60000/HR" in message
    assert rec.hrv.empty


# ---------------------------------------------------------------------------- extras, help
def test_several_missing_packages_take_the_plural(monkeypatch: pytest.MonkeyPatch) -> None:
    from moodtwin import extras

    def missing(name: str) -> None:
        raise ImportError(name)

    monkeypatch.setattr(extras, "import_module", missing)
    with pytest.raises(MissingExtraError, match="needs scipy, neurokit2, emcee, arviz, which "
                                                "are not installed: pip install"):
        extras.require("person")
    with pytest.raises(MissingExtraError, match="needs SALib, which is not installed"):
        extras.require("sensitivity")


@pytest.mark.parametrize("command, extra", [
    ("serve", "web"), ("trial", "trials"), ("validate", "trials"),
    ("calibrate", "calibrate"), ("export-sbml", "sbml"), ("fit", "person"),
    ("forecast", "person"), ("optimize", "optimize"), ("sensitivity", "sensitivity")])
def test_command_help_names_its_extra(command: str, extra: str) -> None:
    """A base install refuses these commands in one line; their help says so first (a new
    user after a plain pip install, round 48's audit)."""
    from moodtwin.cli import app

    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "400"})
    assert f"Needs: pip install 'moodtwin[{extra}]'" in " ".join(result.output.split())
    demo = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "400"})
    assert "Needs:" not in demo.output
