"""The contract with users: one public API, a light import, a base install that simulates,
one-line errors for missing extras, and packaged catalogues that work from any directory."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

import moodtwin
from moodtwin.cli import app
from moodtwin.extras import EXTRAS

KETAMINE = Path(moodtwin.__file__).parent / "data" / "protocols" / "ketamine_single_iv.yaml"
VERBS = ["simulate", "load_protocol", "run_trial", "load_trial", "validate", "calibrate",
         "fit_person", "forecast", "optimize", "sensitivity", "export_sbml", "run_sweep",
         "generate_population", "resilience", "outside_calibration"]
SIMULATING = ["simulate", "run_trial", "validate", "calibrate", "fit_person", "forecast",
              "optimize", "sensitivity", "export_sbml", "run_sweep", "generate_population",
              "run_demo", "resilience"]


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd,
                          capture_output=True, text=True, timeout=600, check=False)


def test_public_api_names_are_documented() -> None:
    for name in [*VERBS, "Result", "ParameterSet", "Protocol", "Trial", "TrialResult"]:
        obj = getattr(moodtwin, name)
        assert obj.__doc__ and len(obj.__doc__.strip()) > 20, name
    assert set(VERBS) <= set(moodtwin.__all__)
    with pytest.raises(AttributeError, match="no attribute 'simulat'"):
        moodtwin.simulat  # noqa: B018


@pytest.mark.parametrize("name", SIMULATING)
def test_every_simulating_verb_takes_parameters_with_the_calibrated_default(name: str) -> None:
    import inspect

    sig = inspect.signature(getattr(moodtwin, name))
    assert sig.parameters["parameters"].default is None, name
    assert moodtwin.ParameterSet.calibrated().name.startswith("calibrated")


def test_import_is_light(tmp_path: Path) -> None:
    proc = _python("""
        import sys, moodtwin
        heavy = [m for m in ("numpy", "pandas", "numba", "sympy", "scipy", "matplotlib")
                 if m in sys.modules]
        print(heavy, moodtwin.DISCLAIMER)
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("[] RESEARCH USE ONLY")


@pytest.mark.slow
def test_base_install_simulates_without_any_extra(tmp_path: Path) -> None:
    """Every module of every extra is made unimportable: simulate still runs, and a verb
    that needs an extra says which one in one line."""
    blocked = sorted({m for _, mods in EXTRAS.values() for m in mods})
    proc = _python(f"""
        import sys
        for name in {blocked!r}:
            sys.modules[name] = None  # importing it now raises ImportError
        import moodtwin
        r = moodtwin.simulate(moodtwin.load_protocol({str(KETAMINE)!r}),
                              save_times_h=[0.0, 24.0])
        print(round(float(r.at("madrs", 24.0)[0]), 3))
        try:
            moodtwin.run_trial
        except moodtwin.MoodtwinError as exc:
            print("ERR", exc)
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr
    value, err = proc.stdout.strip().splitlines()
    assert 0 < float(value) < 60
    assert err.startswith("ERR Virtual trials") and "pip install 'moodtwin[trials]'" in err


@pytest.mark.parametrize("blocked, args, extra", [
    ("SALib", ["sensitivity", str(KETAMINE)], "sensitivity"),
    ("libsbml", ["export-sbml", "--out", "x.xml"], "sbml"),
    pytest.param("optuna", ["optimize", str(KETAMINE)], "optimize", marks=pytest.mark.slow),
    # Optuna's fANOVA importances import scikit-learn after the search (round 48's audit:
    # a traceback once the search had run)
    pytest.param("sklearn", ["optimize", str(KETAMINE)], "optimize", marks=pytest.mark.slow),
    pytest.param("emcee", ["fit", str(Path(__file__).resolve().parents[1] / "examples"
                                      / "person" / "synthetic_vns")], "person",
                 marks=pytest.mark.slow),
])
def test_missing_extra_is_one_line(blocked: str, args: list[str], extra: str,
                                   monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, blocked, None)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"pip install 'moodtwin[{extra}]'" in errors[0]
    assert "Traceback" not in res.output


@pytest.mark.slow
def test_trial_catalogue_is_found_from_any_directory(tmp_path: Path) -> None:
    proc = _python("""
        from moodtwin.calibration import collect_targets
        targets = collect_targets()
        print(len(targets), len({t.trial_file for t in targets}))
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr
    n_targets, n_files = map(int, proc.stdout.split())
    assert n_files >= 10 and n_targets >= n_files


def test_sweep_and_simulate_share_the_default_set() -> None:
    """run_sweep with overrides by name and simulate() start from the same (calibrated) set;
    a full table replaces every value."""
    import numpy as np

    protocol = moodtwin.load_protocol(KETAMINE)
    values, save = {"vulnerability": np.array([-0.2, 0.3])}, np.array([0.0, 24.0, 168.0])
    swept = moodtwin.run_sweep(protocol, values, save)
    direct = moodtwin.simulate(protocol, values, save_times_h=save)
    # the sweep stops integrating at its last save time: equal within the solver tolerance
    np.testing.assert_allclose(swept.observables, direct.observables, rtol=1e-6, atol=1e-9)
    own = moodtwin.ParameterSet.definition()
    other = moodtwin.run_sweep(protocol, values, save, parameters=own)
    assert not np.allclose(other.observables, swept.observables)
    np.testing.assert_array_equal(other.params, moodtwin.run_sweep(
        protocol, other.params, save).params)  # a full table is taken as it is
