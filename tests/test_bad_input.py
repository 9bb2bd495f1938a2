"""Bad input found by the fuzzer (benchmarks/fuzz_inputs.py): each case gives one clear line
naming the file or field, never a traceback or a silently wrong number."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moodtwin.errors import MoodtwinError, RecordError, ValidationError
from moodtwin.optimize import parse_space
from moodtwin.parameter_sets import load_parameter_set
from moodtwin.person import load_person
from moodtwin.person._forecast import _outcomes
from moodtwin.person._synthetic import synthetic_rr
from moodtwin.protocols import load_protocol, parse_protocol
from moodtwin.sensitivity_analysis import SOBOL_RECOMMENDED_N, Sensitivity, parse_times
from moodtwin.sensitivity_report import sample_warning
from moodtwin.trials import load_trial
from moodtwin.units import hours, quantity, times

ROOT = Path(__file__).resolve().parents[1]
PERSON = ROOT / "examples" / "person" / "synthetic_vns"
PROTOCOLS = ROOT / "examples" / "protocols"


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert msg and "\n" not in msg, msg
    return msg


# ---------------------------------------------------------------------------- quantities
@pytest.mark.parametrize("text", ["0,5 mA", "1,5 mA", "1,0 mA"])
def test_decimal_comma_is_refused_with_a_hint(text: str) -> None:
    with pytest.raises(ValidationError) as exc:
        quantity(text, "mA", "vns.current", 0.0, 3.5)
    assert "decimal point" in _one_line(exc) and "vns.current" in str(exc.value)


def test_decimal_comma_in_a_protocol_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text('name: x\nduration: 4 week\ntherapies:\n- {type: vns, current: "0,5 mA"}\n')
    with pytest.raises(ValidationError) as exc:
        load_protocol(path)
    assert "current" in _one_line(exc) and "'0,5 mA'" in str(exc.value)


def test_decimal_comma_in_a_yaml_mapping_is_refused_not_split(tmp_path: Path) -> None:
    # YAML reads `{mean: 28,5}` as mean 28 plus a key 5: refused with the hint, not as 28
    text = (ROOT / "examples" / "trials" / "vns_d02_acute.yaml").read_text()
    bad = text.replace("mean: 28.5, sd: 5.0", "mean: 28,5, sd: 5.0").replace(
        "../protocols/", f"{PROTOCOLS}/")
    assert bad != text
    path = tmp_path / "t.yaml"
    path.write_text(bad)
    with pytest.raises(ValidationError) as exc:
        load_trial(path)
    line = _one_line(exc)
    assert "population.baseline:" in line and "decimal point" in line and "28,5" in line


@pytest.mark.parametrize("text, why", [
    ("d", "does not start with a number"), ("7 s 7", "number after the unit"),
    ("2 week 3 d", "number after the unit"), ("1 d + 3 h", "after the unit"),
    ("inf d", "does not start with a number"), ("1e400 d", "too large"), ("", "number"),
])
def test_malformed_times_are_refused(text: str, why: str) -> None:
    with pytest.raises(ValidationError) as exc:
        hours(text, "duration")
    assert why in _one_line(exc) and "duration" in str(exc.value)


@pytest.mark.parametrize("text", ["6 ms", "42 dd", "10 da", "3 kmin", "2 W"])
def test_a_prefixed_or_foreign_unit_is_not_a_time(text: str) -> None:
    """pint reads '6 ms' as milliseconds and '42 dd' as 4.2 days: a visit a user never meant
    (new-user audit, round 40); only plain time units are times."""
    with pytest.raises(ValidationError) as exc:
        hours(text, "visits[2]")
    line = _one_line(exc)
    assert "visits[2]" in line and repr(text) in line and "not a time unit" in line


def test_unicode_minus_keeps_its_sign() -> None:
    assert quantity("\u22122 kg", "kg", "w", -10, 10) == -2.0
    with pytest.raises(ValidationError, match="outside the allowed range 35–200 kg"):
        quantity("\u221282 kg", "kg", "body_weight", 35, 200)


@pytest.mark.parametrize("text, h", [
    ("6mo", 6 * 730.5), ("6 mo", 6 * 730.5), ("6w", 1008.0), ("6 wk", 1008.0),
    ("6 weeks", 1008.0), ("6 fortnight", 6 * 336.0), ("1y", 8766.0), ("36 h", 36.0),
    ("1.5 d", 36.0), (".5 d", 12.0),
])
def test_one_time_grammar(text: str, h: float) -> None:
    assert hours(text, "t") == pytest.approx(h)


def test_forecast_and_sensitivity_times_use_the_same_parser() -> None:
    assert times("6w,6mo", "--at") == [("6w", 1008.0), ("6mo", 4383.0)]
    protocol = load_protocol(PROTOCOLS / "ketamine_single_iv.yaml")
    assert parse_times("1 fortnight, 1w", protocol) == (168.0, 336.0)
    with pytest.raises(ValidationError, match="empty item"):
        times("0,,5 d", "--at")


# ---------------------------------------------------------------------------- YAML files
BAD_YAML = {
    "duplicate": ("name: a\nname: b\nduration: 1 week\n", "given twice"),
    "inf": ("name: a\nduration: 1 week\nvisits: {every: .inf}\n", "not a finite number"),
    "huge": ("name: a\nduration: 1 week\nn: 1" + "0" * 400 + "\n", "too large"),
    "deep": ("name: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper"),
}
ENCODINGS = {
    "utf16": ("name: caf\u00e9\n".encode("utf-16"), "UTF-16"),
    "latin1": ("name: caf\u00e9\n".encode("latin-1"), "not UTF-8"),
    "binary": (bytes(range(256)) * 4, "not UTF-8"),
}


def _loaders(tmp_path: Path) -> dict[str, tuple[str, object]]:
    from moodtwin.optimize._space import load_space

    return {"protocol.yaml": load_protocol, "trial.yaml": load_trial, "space.yaml": load_space,
            "set.yaml": load_parameter_set}


@pytest.mark.parametrize("case", list(BAD_YAML) + list(ENCODINGS))
@pytest.mark.parametrize("kind", ["protocol.yaml", "trial.yaml", "space.yaml", "set.yaml"])
def test_bad_yaml_files_are_one_line_naming_the_file(tmp_path: Path, kind: str,
                                                     case: str) -> None:
    path = tmp_path / kind
    if case in BAD_YAML:
        text, why = BAD_YAML[case]
        path.write_text(text)
    else:
        data, why = ENCODINGS[case]
        path.write_bytes(data)
    with pytest.raises(ValidationError) as exc:
        _loaders(tmp_path)[kind](path)
    assert why in _one_line(exc) and str(path) in str(exc.value)


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    levels = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i, name in enumerate("bcdef"):
        prev = "abcdef"[i]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(levels) + "\n")
    with pytest.raises(ValidationError, match="expands to"):
        load_protocol(path)


# ---------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("field, value", [
    ("population.failed_treatments.max", "true"), ("n", "true"),
    ("arms[0].allocation", "true"), ("endpoints[0].published.value", "true"),
    ("endpoints[0].published.value", "inf"), ("population.female", "false"),
])
def test_booleans_and_non_finite_text_are_not_numbers(tmp_path: Path, field: str,
                                                      value: str) -> None:
    trial = {
        "name": "t", "duration": "2 week", "visits": ["1 week", "2 week"], "n": 10,
        "population": {"failed_treatments": {"max": 12}, "female": 0.5},
        "arms": [{"name": "A", "protocol": str(PROTOCOLS / "no_treatment.yaml"),
                  "allocation": 1}],
        "endpoints": [{"type": "mean_change", "at": "2 week",
                       "published": {"value": -5.0, "se": 1.0}}],
    }
    import yaml

    text = yaml.safe_dump(trial)
    key = field.split(".")[-1]
    old = {"max": "max: 12", "n": "n: 10", "allocation": "allocation: 1",
           "value": "value: -5.0", "female": "female: 0.5"}[key]
    assert old in text
    path = tmp_path / "trial.yaml"
    path.write_text(text.replace(old, f"{key}: {value}"))
    load_trial_ok = tmp_path / "ok.yaml"
    load_trial_ok.write_text(text)
    load_trial(load_trial_ok)  # the unmutated trial is valid
    with pytest.raises(ValidationError) as exc:
        load_trial(path)
    assert key in _one_line(exc)


def test_boolean_parameter_value_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text("parameters:\n  tau_dep: {value: true}\n")
    with pytest.raises(ValidationError, match="tau_dep.*finite number"):
        load_parameter_set(path)


@pytest.mark.parametrize("raw", [float("inf"), float("nan"), True, 1.5])
def test_optimize_counts_must_be_finite_whole_numbers(raw: object) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_space({"therapy": "tavns", "search": {"sessions_per_day": {"choices": [1, raw]}}})
    assert "sessions_per_day" in _one_line(exc) and "whole number" in str(exc.value)


# ---------------------------------------------------------------------------- trials
def _trial(tmp_path: Path, **extra: object) -> Path:
    import yaml

    data = {"name": "t", "duration": "52 week", "visits": ["4 week"], "n": 10,
            "arms": [{"name": "A", "protocol": str(PROTOCOLS / "no_treatment.yaml")}], **extra}
    path = tmp_path / "trial.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("every, why", [("1 s", "outside the allowed range"),
                                        ("1 h", "at most 2000")])
def test_visit_schedule_is_bounded_at_load(tmp_path: Path, every: str, why: str) -> None:
    with pytest.raises(ValidationError) as exc:
        load_trial(_trial(tmp_path, visits={"every": every}))
    assert why in _one_line(exc) and "visits" in str(exc.value)


def test_cohort_population_overrides_are_checked_at_load(tmp_path: Path) -> None:
    arms = [{"name": "cohort B", "n": 5, "population": {"female": 2},
             "protocol": str(PROTOCOLS / "no_treatment.yaml")}]
    with pytest.raises(ValidationError) as exc:
        load_trial(_trial(tmp_path, arms=arms, n=None))
    assert "cohort B" in _one_line(exc) and "female" in str(exc.value)


def test_infinite_allocation_is_refused(tmp_path: Path) -> None:
    arms = [{"name": "A", "allocation": "inf", "protocol": str(PROTOCOLS / "no_treatment.yaml")}]
    with pytest.raises(ValidationError) as exc:
        load_trial(_trial(tmp_path, arms=arms))
    assert "allocation" in _one_line(exc)


# ---------------------------------------------------------------------------- person records
@pytest.fixture()
def record(tmp_path: Path) -> Path:
    folder = tmp_path / "rec"
    shutil.copytree(PERSON, folder, ignore=shutil.ignore_patterns("*_ecg.csv"))
    return folder


def test_non_utf8_scores_name_the_file_and_line(record: Path) -> None:
    lines = (record / "scores.csv").read_text().splitlines()
    text = "\n".join([lines[0] + ",note", *(ln + ",caf\u00e9" for ln in lines[1:])]) + "\n"
    (record / "scores.csv").write_bytes(text.encode("latin-1"))
    with pytest.raises(RecordError) as exc:
        load_person(record)
    msg = _one_line(exc)
    assert "scores.csv" in msg and "not UTF-8" in msg and "line 2" in msg
    assert any("not UTF-8" in i.message for i in exc.value.report.issues)


def test_score_date_with_a_time_zone_is_read_as_written(record: Path) -> None:
    path = record / "scores.csv"
    lines = path.read_text().splitlines()
    date, rest = lines[2].split(",", 1)
    lines[2] = f"{date}T09:00:00+02:00,{rest}"
    path.write_text("\n".join(lines) + "\n")
    rec, report = load_person(record)
    assert not report.errors, report.text()
    start = dt.datetime.combine(rec.start_date, dt.time())
    expected = (dt.datetime.fromisoformat(date) - start).total_seconds() / 3600 + 9.0
    assert expected in set(rec.scores["time_h"])


def _rr_values(seed: int = 0) -> np.ndarray:
    return np.round(synthetic_rr(40.0, 65.0, 120.0, np.random.default_rng(seed)))


@pytest.mark.parametrize("name, text, warning", [
    ("2024-01-08_elite.txt", lambda v: "\n".join(f"{x:g}" for x in v), None),
    ("2024-01-08_polar.txt",
     lambda v: "Phone timestamp;RR-interval [ms]\n" + "\n".join(
         f"2024-01-08T08:00:{i % 60:02d};{x:g}" for i, x in enumerate(v)), "not used"),
    ("2024-01-08_rr.csv", lambda v: "RR\n" + "\n".join(f"{x:g}" for x in v), None),
    ("2024-01-08_rr.csv", lambda v: "rr\n" + "\n".join(f"{x:g}" for x in v), None),
    ("2024-01-08_rr.csv", lambda v: "rr_ms\n" + "\n".join(f"{x / 1000:.3f}" for x in v),
     "in seconds"),
    ("2024-01-08_rr.txt", lambda v: "RR (s)\t\n" + "\n".join(f"{x / 1000:.3f}" for x in v),
     None),
])
def test_common_heart_exports_are_read(record: Path, name: str, text, warning) -> None:
    heart = record / "heart"
    for f in heart.iterdir():
        f.unlink()
    values = _rr_values()
    (heart / name).write_text(text(values) + "\n")
    rec, report = load_person(record)
    assert not report.errors, report.text()
    assert list(rec.hrv["file"]) == [f"heart/{name}"]
    if warning:
        assert any(warning in i.message for i in report.issues), report.text()
    reference = load_person_with(record, "2024-01-08_ref.csv",
                                 "rr_ms\n" + "\n".join(f"{x:g}" for x in values))
    assert rec.hrv["rmssd_ms"].iloc[0] == pytest.approx(reference, rel=1e-3)


def load_person_with(record: Path, name: str, text: str) -> float:
    heart = record / "heart"
    for f in heart.iterdir():
        f.unlink()
    (heart / name).write_text(text + "\n")
    rec, _ = load_person(record)
    return float(rec.hrv["rmssd_ms"].iloc[0])


def test_every_file_not_used_is_reported_one_per_line(record: Path) -> None:
    (record / "notes.docx").write_bytes(b"PK\x03\x04")
    (record / "heart" / "2024-02-01_export.json").write_text("{}")
    (record / "heart" / "morning.csv").write_text("rr_ms\n800\n")
    (record / "heart" / "2024-03-01_bin.csv").write_bytes(b"\xff\xfe\x00\x01")
    _, report = load_person(record)
    lines = report.text().splitlines()
    for name, why in [("notes.docx", "not used"), ("2024-02-01_export.json", ".csv or .txt"),
                      ("morning.csv", "recording date"), ("2024-03-01_bin.csv", "UTF-16")]:
        hits = [ln for ln in lines if name in ln]
        assert len(hits) == 1 and why in hits[0], lines


# ---------------------------------------------------------------------------- reports
def test_forecast_outcomes_give_the_baseline_they_are_relative_to() -> None:
    madrs = np.array([[30.0, 10.0], [20.0, 12.0], [40.0, 30.0]])  # draws x (start, later)
    obs = madrs[:, :, None]
    out = _outcomes(obs, np.array([0.0, 1008.0]), ["madrs"], ["MADRS"], [("6w", 1008.0)])
    row = out.iloc[0]
    assert row["MADRS_baseline"] == 30.0  # median at the forecast start
    assert row["P_response_MADRS"] == pytest.approx(1 / 3)  # only 30 -> 10 halves


def test_sobol_with_few_samples_warns() -> None:
    empty = pd.DataFrame()
    factors = tuple(range(3))
    sens = Sensitivity("sobol", "p", "madrs", (1008.0,), factors, empty, empty, empty,
                       16 * (len(factors) + 2), 0, 0, {}, 0.0)
    msg = sample_warning(sens)
    assert msg is not None and "N = 16" in msg and str(SOBOL_RECOMMENDED_N) in msg
    enough = Sensitivity("sobol", "p", "madrs", (1008.0,), factors, empty, empty, empty,
                         SOBOL_RECOMMENDED_N * 5, 0, 0, {}, 0.0)
    assert sample_warning(enough) is None


def test_names_with_dollar_signs_are_drawn(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from moodtwin.figure_files import save_png

    fig, ax = plt.subplots()
    ax.set_title("arm $x^$ costs $5")
    ax.bar(["A$_$B", "C"], [1, 2], label="$\\frac$")
    ax.legend()
    save_png(fig, tmp_path / "f.png", tight=True)
    assert (tmp_path / "f.png").stat().st_size > 0


def test_protocol_errors_stay_moodtwin_errors() -> None:
    with pytest.raises(MoodtwinError):
        parse_protocol({"name": "x", "duration": "7 s 7"})


# ---------------------------------------------------------------------------- command line
def test_cli_prints_a_decimal_comma_as_one_error_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from moodtwin.cli import app

    path = tmp_path / "p.yaml"
    path.write_text('name: x\nduration: 4 week\ntherapies:\n- {type: vns, current: "1,5 mA"}\n')
    res = CliRunner().invoke(app, ["simulate", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "decimal point" in errors[0]


def test_cli_fit_reports_an_unusable_record_one_problem_per_line(record: Path,
                                                                 tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from moodtwin.cli import app

    (record / "scores.csv").write_bytes("date,scale,score\n2024-01-08,MADRS,3\u00e9\n"
                                        .encode("latin-1"))
    (record / "notes.txt").write_text("x")
    res = CliRunner().invoke(app, ["fit", str(record), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    report = (tmp_path / "o" / "data_report.txt").read_text().splitlines()
    assert any(ln.startswith("error: scores.csv: not UTF-8") for ln in report), report
    assert any(ln.startswith("warning: notes.txt: not used") for ln in report), report
    for line in report[-2:]:
        assert f"  {line}" in res.output.splitlines()  # printed too, one per line


@pytest.mark.parametrize("extra, why", [("objective: true", "'objective' must be a number"),
                                        ("evaluations: 1.5", "must be a whole number"),
                                        ("objectiv: 3.5", "unknown key 'objectiv'"),
                                        ("calibration: {seed: true}",
                                         r"calibration\.seed: True is not allowed"),
                                        ("calibration: {priors: {k_pot: [0.02, false, x]}}",
                                         r"calibration\.priors\.k_pot\[1\]: False")])
def test_parameter_set_metadata_is_checked(tmp_path: Path, extra: str, why: str) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(f"parameters:\n  tau_dep: {{value: 12}}\n{extra}\n")
    with pytest.raises(ValidationError, match=why):
        load_parameter_set(path)


@pytest.mark.parametrize(("argv", "expected"), [
    (["calibrate", "--realizations", "0"],
     "error: Invalid value for '--realizations': Input should be greater than or equal to 1 "
     "(given: '0'); see 'moodtwin calibrate --help'."),
    (["validate", "--chance", "-1"], "Invalid value for '--chance'"),
    (["validate", "--chance", "1"], "error: --chance: need at least 2 stand-in trials"),
    (["calibrate", "--profile", "1,5"], "(given: '1,5')"),
    (["trial", "ketamine_murrough2013", "--n=abc"], "(given: 'abc')"),
    (["trial", "x", "--wat"], "error: No such option: --wat"),
    (["trial"], "error: Missing argument 'file'; see 'moodtwin trial --help'."),
])
def test_command_line_usage_errors_are_one_line(monkeypatch, capsys, argv, expected) -> None:
    """An option out of range, of the wrong type, unknown or missing: one ``error:`` line on
    stderr naming the option, the value given and the rule, exit code 2 (not click's box)."""
    from moodtwin.cli import EXIT_ERROR, main

    monkeypatch.setattr("sys.argv", ["moodtwin", *argv])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == EXIT_ERROR
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err


@pytest.mark.parametrize("kind, path, message", [
    ("protocol", ("therapies", 0, "intensity"),
     "therapies[0].intensity (stressor): expected a number, got true"),
    ("trial", ("endpoints", 1, "relapse", "confirm"),
     "endpoints.1.relapse.confirm: expected a number, got true"),
    ("trial", ("withdrawal", "threshold"), "withdrawal.threshold: expected a number, got true"),
])
def test_a_boolean_is_not_a_number(kind: str, path: tuple, message: str) -> None:
    """YAML's true/false where a number belongs is refused with one line, not read as 1/0
    (found by benchmarks/fuzz_inputs.py --seed 28: a stressor intensity and the relapse and
    withdrawal fields of trial files)."""
    import re

    import yaml

    from moodtwin.trials import parse_trial

    root = Path(__file__).resolve().parents[1] / "examples"
    name = ("protocols/stressor_challenge.yaml" if kind == "protocol"
            else "trials/designs/esketamine_sustain1_relapse_prevention.yaml")
    doc = yaml.safe_load((root / name).read_text())
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = True
    with pytest.raises(ValidationError, match=re.escape(message)):
        if kind == "protocol":
            parse_protocol(doc)
        else:
            parse_trial(doc, root / "trials" / "designs")


def test_decimal_comma_in_a_protocol_flow_mapping_names_the_comma(tmp_path: Path) -> None:
    # YAML reads `{dose: 0,5 mg/kg}` as dose 0 and a field '5 mg/kg': the error says why
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nduration: 1 week\ntherapies:\n"
                    "- {type: ketamine, route: oral, dose: 0,5 mg/kg, at: [0 d]}\n")
    with pytest.raises(ValidationError) as exc:
        load_protocol(path)
    line = _one_line(exc)
    assert "'5 mg/kg'" in line and "decimal point" in line


def test_a_missing_protocol_path_is_not_replaced_by_the_shipped_file(tmp_path: Path) -> None:
    """A copied trial file whose '../protocols/x.yaml' is missing used to run the shipped
    protocol of that name without a word, so a user's own edited protocol could be replaced
    (new-user audit, round 40); a bare catalogue name still means the shipped file."""
    text = (ROOT / "examples" / "trials" / "ketamine_murrough2013.yaml").read_text()
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ValidationError) as exc:
        load_trial(path)
    line = _one_line(exc)
    assert "../protocols/ketamine_single_iv.yaml" in line and "not found" in line
    assert "protocol: ketamine_single_iv" in line
    path.write_text(text.replace("../protocols/ketamine_single_iv.yaml", "ketamine_single_iv")
                    .replace("../protocols/midazolam_active_placebo.yaml",
                             "midazolam_active_placebo"))
    trial = load_trial(path)
    assert [a.name for a in trial.arms] == ["ketamine", "midazolam"]


def test_a_protocol_shorter_than_its_period_says_how_to_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nn: 20\nduration: 6 week\nvisits: [1 d, 6 week]\narms:\n"
                    "  - {name: ketamine, protocol: ketamine_single_iv}\n"
                    "  - {name: midazolam, protocol: midazolam_active_placebo}\n")
    with pytest.raises(ValidationError) as exc:
        load_trial(path)
    line = _one_line(exc)
    assert "shorter than its period (42 d)" in line and "'duration: 42 d'" in line


@pytest.mark.parametrize("old, new, expect", [
    ("female: 0.35", "female: 0,6", "decimal point"),
    ("min_score: 22,", "min_scor: 22,", "unknown field 'min_scor' (did you mean 'min_score'?)"),
    ("duration: 7 d", "duration: 42", "needs its unit, e.g. '42 d'"),
    # round 48's audit: a share written as a percentage
    ("female: 0.35", "female: 35 %", "got the percentage '35 %': write a share as a "
                                     "fraction (0.35)"),
    ("type: response_rate, at: 7 d", "type: responce_rate, at: 7 d",
     "'responce_rate' is not allowed (did you mean 'response_rate'?)"),
])
def test_trial_file_mistakes_get_a_pointed_one_line_error(tmp_path: Path, old: str, new: str,
                                                         expect: str) -> None:
    """New-user audit (round 40): a decimal comma in a plain number, a misspelt field and a
    time without its unit each say what to write."""
    text = (ROOT / "examples" / "trials" / "ketamine_murrough2013.yaml").read_text()
    text = text.replace("../protocols/", f"{PROTOCOLS}/")
    assert old in text
    path = tmp_path / "t.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ValidationError) as exc:
        load_trial(path)
    assert expect in _one_line(exc)
