"""Command-line interface: demo, simulate, model, and one-line errors for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import moodtwin
from moodtwin.cli import app
from moodtwin.demo import DEMO_ORDER, TIMEPOINTS_H, demo_protocols
from moodtwin.model import default_model

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "protocols"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
KETAMINE = EXAMPLES / "ketamine_single_iv.yaml"

runner = CliRunner()


def run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "moodtwin", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


# ---------------------------------------------------------------------------- shipped data
def test_demo_protocols_and_trial_catalogue_are_package_data() -> None:
    from moodtwin.catalogue import protocol_catalogue, trial_catalogue
    from moodtwin.trials import load_trial

    package = Path(moodtwin.__file__).parent / "data"
    assert protocol_catalogue() == package / "protocols"
    for stem in DEMO_ORDER:
        assert (protocol_catalogue() / f"{stem}.yaml").is_file(), f"{stem}.yaml is not shipped"
    trials = sorted(trial_catalogue().glob("*.yaml"))
    assert len(trials) >= 10
    for path in trials:  # every protocol a shipped trial names is shipped too
        load_trial(path)
    # examples/ links to the package data: one copy of each file
    assert EXAMPLES.resolve() == protocol_catalogue().resolve()
    assert (ROOT / "examples" / "trials").resolve() == trial_catalogue().resolve()


# ---------------------------------------------------------------------------- demo
@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--out", str(out)])
    return out, result


def test_demo_writes_table_and_files(demo_out: tuple[Path, object]) -> None:
    out, result = demo_out
    assert result.exit_code == 0, result.output
    assert "not medical advice" in result.stdout
    assert str(out.resolve()) in result.stdout
    stems = list(demo_protocols())
    table = pd.read_csv(out / "madrs_summary.csv", index_col="protocol")
    assert list(table.index) == stems
    assert list(table.columns) == ["name", *TIMEPOINTS_H]
    assert table[list(TIMEPOINTS_H)].notna().all().all()
    assert ((table[list(TIMEPOINTS_H)] >= 0) & (table[list(TIMEPOINTS_H)] <= 60)).all().all()
    for stem in stems:
        frame = pd.read_csv(out / "timecourses" / f"{stem}.csv")
        assert {"time_h", "day", "MADRS", "madrs"} <= set(frame.columns)
        assert frame["day"].iloc[-1] == pytest.approx(364.0)
    for name in ("time_courses.png", "time_courses.html", "README.txt"):
        assert (out / name).stat().st_size > 0
    html = (out / "time_courses.html").read_text(encoding="utf-8")
    assert 'src="https://cdn.plot.ly' not in html  # plotly.js embedded: works offline
    assert len(html) > 1_000_000
    for name in table["name"]:  # the printed table lists every protocol
        assert name in result.stdout
    untreated = [s for s, p in demo_protocols().items() if not p.therapies]
    assert untreated and untreated[0] == stems[0]


# ---------------------------------------------------------------------------- simulate
@pytest.mark.parametrize("protocol", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_simulate_each_example(protocol: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", str(protocol), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for suffix in (".csv", ".png", ".html"):
        path = tmp_path / f"{protocol.stem}{suffix}"
        assert path.stat().st_size > 0
        assert str(path.resolve()) in result.stdout
    for label in ("baseline", "day 1", "end (day"):
        assert label in result.stdout


@pytest.mark.parametrize("set_file", [False, True], ids=["calibrated", "own set"])
def test_cli_and_python_api_give_identical_numbers(set_file: bool, tmp_path: Path) -> None:
    """The same protocol, overrides and seed give the same numbers through both doors, with
    the one default (the calibrated set) or a given parameter set."""
    args, kwargs = [], {}
    if set_file:
        path = tmp_path / "set.yaml"
        path.write_text("parameters:\n  k_LC: {value: 2.0}\n  w_expect: {value: 0.5}\n")
        args, kwargs = ["--params", str(path)], {"parameters": moodtwin.ParameterSet.load(path)}
    result = runner.invoke(app, ["simulate", str(KETAMINE), "--out", str(tmp_path / "o"),
                                 "--param", "tau_dep=0.5 d", "--seed", "3", *args])
    assert result.exit_code == 0, result.output
    cli = pd.read_csv(tmp_path / "o" / "ketamine_single_iv.csv")
    api = moodtwin.simulate(moodtwin.load_protocol(KETAMINE), {"tau_dep": 12.0}, seed=3,
                            **kwargs).frame()
    assert list(cli.columns) == list(api.columns)
    pd.testing.assert_frame_equal(cli, api, check_exact=False, rtol=1e-9, atol=1e-9)
    if set_file:  # the set matters: the default gives other numbers
        default = moodtwin.simulate(moodtwin.load_protocol(KETAMINE), {"tau_dep": 12.0}, seed=3)
        assert not (default.frame()["madrs"] == api["madrs"]).all()


def test_simulate_subprocess_with_param_and_seed(tmp_path: Path) -> None:
    proc = run_module("simulate", str(KETAMINE), "--out", str(tmp_path / "o"),
                      "--param", "tau_dep=0.5 d", "--seed", "7", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "observed (seed 7)" in proc.stdout
    assert "tau_dep=12" in proc.stderr  # progress line shows the override in model units
    frame = pd.read_csv(tmp_path / "o" / "ketamine_single_iv.csv")
    assert (frame["MADRS"] != frame["madrs"]).any()  # fluctuation added by the seed


def test_simulate_default_out_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["simulate", str(KETAMINE)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "moodtwin-out/ketamine_single_iv/ketamine_single_iv.csv").exists()


# ---------------------------------------------------------------------------- errors
_THERAPY = "name: bad\nduration: 4 week\ntherapies:\n  - {}\n"
BAD_PROTOCOLS = {
    "unknown_type": (_THERAPY.format("{type: ketamin_iv, dose: 0.5 mg/kg, at: [0 d]}"),
                     ["ketamin_iv", "type"]),
    "vns_5mA": (_THERAPY.format("{type: vns, current: 5 mA}"), ["current", "5 mA"]),
    "ketamine_3mgkg": (_THERAPY.format("{type: ketamine_iv, dose: 3 mg/kg, at: [0 d]}"),
                       ["dose", "3 mg/kg"]),
    "missing_unit": (_THERAPY.format("{type: ketamine_iv, dose: 0.5, at: [0 d]}"),
                     ["dose", "0.5", "unit"]),
    "malformed_yaml": ("name: bad\nduration: 4 week\ntherapies:\n  - type: [ketamine_iv\n"
                       "    dose: : 0.5\n", ["YAML"]),
}


def _assert_one_line_error(code: int, stdout: str, stderr: str, needles: list[str]) -> None:
    assert code != 0
    assert "Traceback" not in stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def _bad_cases(tmp: Path) -> dict[str, tuple[list[str], list[str]]]:
    cases: dict[str, tuple[list[str], list[str]]] = {}
    for key, (text, needles) in BAD_PROTOCOLS.items():
        path = tmp / f"{key}.yaml"
        path.write_text(text)
        cases[key] = (["simulate", str(path), "--out", str(tmp / "out")], needles)
    cases["nonexistent_file"] = (["simulate", str(tmp / "nope.yaml"), "--out", str(tmp / "o")],
                                 ["nope.yaml"])
    cases["unknown_param"] = (["simulate", str(KETAMINE), "--out", str(tmp / "out"),
                               "--param", "tau_dp=3"], ["tau_dp", "tau_dep"])
    cases["param_out_of_range"] = (["simulate", str(KETAMINE), "--out", str(tmp / "out"),
                                    "--param", "tau_dep=1000"], ["tau_dep", "1000"])
    cases["param_without_value"] = (["simulate", str(KETAMINE), "--param", "tau_dep"],
                                    ["tau_dep", "NAME=VALUE"])
    return cases


CASE_IDS = [*BAD_PROTOCOLS, "nonexistent_file", "unknown_param", "param_out_of_range",
            "param_without_value"]


@pytest.mark.parametrize("case", CASE_IDS)
def test_bad_input_one_line_error(case: str, tmp_path: Path) -> None:
    args, needles = _bad_cases(tmp_path)[case]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    _assert_one_line_error(result.exit_code, result.stdout, result.stderr, needles)
    assert not (tmp_path / "out").exists()  # nothing written on failure


@pytest.mark.parametrize("case", ["unknown_type", "malformed_yaml", "nonexistent_file",
                                  "unknown_param"])
def test_bad_input_subprocess(case: str, tmp_path: Path) -> None:
    args, needles = _bad_cases(tmp_path)[case]
    proc = run_module(*args, cwd=tmp_path)
    assert proc.returncode == 2
    _assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, needles)


# ---------------------------------------------------------------------------- model / help
def test_model_lists_every_parameter(tmp_path: Path) -> None:
    result = runner.invoke(app, ["model"])
    assert result.exit_code == 0, result.output
    model = default_model()
    missing = [p.name for p in model.parameters if f"`{p.name}`" not in result.stdout]
    assert not missing
    for s in model.states:
        assert f"`{s.name}`" in result.stdout
    assert r"\frac{d\," in result.stdout and "not medical advice" in result.stdout
    target = tmp_path / "docs" / "model.md"
    result = runner.invoke(app, ["model", "--markdown", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("# Model")


@pytest.mark.parametrize("cmd", [[], ["demo"], ["simulate"], ["model"]])
def test_help(cmd: list[str]) -> None:
    result = runner.invoke(app, [*cmd, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout and "--help" in result.stdout


def test_module_help_subprocess(tmp_path: Path) -> None:
    proc = run_module("--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "not medical advice" in " ".join(proc.stdout.split())
    for cmd in ("demo", "simulate", "model"):
        assert cmd in proc.stdout


def test_resilience_command_prints_the_api_result_and_refuses_a_stressor_past_the_end():
    from moodtwin.protocols import load_protocol

    protocol = Path(moodtwin.__file__).parent / "data" / "protocols" / "no_treatment.yaml"
    res = CliRunner().invoke(app, ["resilience", str(protocol), "--at", "26 week",
                                   "--duration", "4 week", "--recovered", "0.25"])
    assert res.exit_code == 0, res.output
    r = moodtwin.resilience(load_protocol(protocol), at="26 week", duration="4 week",
                            recovered_fraction=0.25)
    assert f"peak +{r.peak:.2f} MADRS" in res.output
    assert f"{r.recovery_h / 24:.1f} d after the stressor ends" in res.output
    bad = CliRunner().invoke(app, ["resilience", str(protocol), "--at", "60 week"])
    assert bad.exit_code == 2 and "must end before the protocol" in bad.output


@pytest.mark.parametrize("duration", ["0w", "100y"])
def test_resilience_refuses_a_stressor_duration_out_of_range_in_one_line(duration: str):
    """New-user audit (round 40): '--duration 0w' ended in a pydantic traceback."""
    res = CliRunner().invoke(app, ["resilience", "vns_standard", "--at", "26w",
                                   "--duration", duration])
    assert res.exit_code == 2
    assert f"'{duration}' is outside the allowed range" in res.output
    assert "Traceback" not in res.output and "errors.pydantic.dev" not in res.output
