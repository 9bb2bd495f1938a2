"""New-user audit of ``moodtwin optimize``: an infeasible search is marked as such (protocol,
best.json, exit status 3), a space file for another therapy is refused, a constraint that
cannot bind is noted, a deterministic outcome has no interval and the charge is reported in
its unit, the unknown-observable list is complete, the figure's shading agrees with the
best point, and a twin's fresh-baseline start is stated.

Studies here are tiny (few draws, few trials, short horizons) to stay fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from moodtwin.cli import app
from moodtwin.cli._optimize import EXIT_INFEASIBLE
from moodtwin.errors import UnknownNameError, ValidationError
from moodtwin.optimize import (
    Constraint,
    Outcome,
    _report,
    load_space,
    optimize,
    parse_space,
    population_draws,
    summary,
    therapy_to_tune,
    write_report,
)
from moodtwin.optimize._evaluate import mean_interval
from moodtwin.protocols import load_protocol, parse_protocol

EX = Path(__file__).resolve().parents[1] / "examples"
VNS = EX / "protocols/vns_standard.yaml"
TAVNS = EX / "protocols/tavns_daily.yaml"
VNS_BASE = parse_protocol({
    "name": "vns base", "duration": "52 week", "background": {"oral_antidepressant": "continued"},
    "therapies": [{"type": "vns", "current": "1 mA"}]})
CURRENT = parse_space({"therapy": "vns", "search": {
    "current": {"low": "0.25 mA", "high": "2.5 mA", "step": "0.25 mA"}},
    "fixed": {"titration_step": "2.5 mA"}})  # the target current from the start


@pytest.fixture(scope="module")
def draws():
    return population_draws(3, seed=3)


def _cli(tmp_path: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["optimize", *args, "--draws", "2", "--holdout", "0",
                                   "--trials", "3", "--grid", "0", "--at", "4 week",
                                   "--out", str(tmp_path / "out")])
    return res.exit_code, res.output


def _space_file(tmp_path: Path) -> str:
    path = tmp_path / "space.yaml"
    path.write_text("therapy: vns\nsearch:\n  current: {low: 0.25 mA, high: 2.5 mA, "
                    "step: 0.25 mA}\nfixed:\n  titration_step: 2.5 mA\n")
    return str(path)


# ------------------------------------------------------------------ 1: infeasible search
def test_infeasible_result_is_flagged_in_the_api_protocol_and_best_json(model, draws, tmp_path):
    cap = Constraint.parse("voice_alteration<=0.01", model)  # met by no current >= 0.25 mA
    res = optimize(VNS_BASE, CURRENT, draws, Outcome("madrs_reduction", "4 week"), [cap],
                   n_trials=3, seed=0, grid=0)
    assert not res.best_feasible  # a result, not an exception
    excess = res.best_violations[cap.label]
    assert excess == pytest.approx(res.best.side_mean(cap.key) - 0.01) and excess > 0
    assert "INFEASIBLE" in res.best_protocol.name
    assert f"violate {cap.label} by {excess:.3g}" in res.best_protocol.description
    write_report(res, tmp_path, "test draws", 0)
    info = json.loads((tmp_path / "best.json").read_text())
    assert list(info)[:3] == ["disclaimer", "feasible", "violations"]
    assert info["feasible"] is False and info["violations"] == {cap.label: excess}
    assert info["warning"].startswith("NOT FEASIBLE")
    text = (tmp_path / "best_protocol.yaml").read_text()
    assert f"\n# {info['warning']}.\n" in text  # in the file's header too
    written = load_protocol(tmp_path / "best_protocol.yaml")  # still a valid protocol
    assert "INFEASIBLE" in written.name and "NOT FEASIBLE" in written.description


def test_feasible_result_has_no_mark(model, draws):
    res = optimize(VNS_BASE, CURRENT, draws, Outcome("madrs_reduction", "4 week"),
                   [Constraint.parse("voice_alteration<=0.9", model)], n_trials=3, grid=0)
    assert res.best_feasible and res.best_violations == {}
    assert "INFEASIBLE" not in res.best_protocol.name
    assert "FEASIBLE" not in res.best_protocol.description
    assert summary(res, "test", 0)["feasible"] is True


def test_cli_exits_3_after_writing_marked_outputs(tmp_path):
    code, output = _cli(tmp_path, str(VNS), "--space", _space_file(tmp_path),
                        "-c", "voice_alteration<=0.01")
    assert code == EXIT_INFEASIBLE == 3, output
    assert "WARNING: NOT FEASIBLE" in output and "marked INFEASIBLE" in output
    data = yaml.safe_load((tmp_path / "out" / "best_protocol.yaml").read_text())
    assert "INFEASIBLE" in data["name"] and "voice_alteration:peak<=0.01 by" in (
        data["description"])
    assert json.loads((tmp_path / "out" / "best.json").read_text())["feasible"] is False
    help_text = CliRunner().invoke(app, ["optimize", "--help"], terminal_width=200).output
    assert "3 no trial met the constraints" in help_text


# ------------------------------------------------------------------ 2: space of another therapy
def test_space_for_a_therapy_the_protocol_lacks_is_refused_in_one_line(tmp_path):
    code, output = _cli(tmp_path, str(TAVNS), "--space", str(EX / "optimize/vns_space.yaml"))
    assert code == 2, output
    line = [ln for ln in output.splitlines() if ln.strip()][-1]
    assert line.startswith("error: The space file tunes 'vns'") and "'tavns'" in line, output
    assert "--therapy vns" in line and not (tmp_path / "out").exists()


def test_naming_the_therapy_asks_to_add_it():
    base, space = load_protocol(TAVNS), load_space(EX / "optimize/vns_space.yaml")
    assert therapy_to_tune(base, "vns", space) == "vns"
    with pytest.raises(ValidationError, match="has 'tavns'"):
        therapy_to_tune(base, None, space)
    assert therapy_to_tune(load_protocol(VNS), None, space) == "vns"


# ------------------------------------------------------------------ 3: constraint cannot bind
def test_constraint_whose_observable_does_not_vary_is_noted(tmp_path):
    code, output = _cli(tmp_path, str(TAVNS), "-c", "voice_alteration<=0.1",
                        "-c", "tavns_drive<=100")
    assert code == 0, output
    info = json.loads((tmp_path / "out" / "best.json").read_text())
    notes = [n for n in info["notes"] if "voice_alteration:peak<=0.1" in n]
    assert len(notes) == 1 and "does not vary with the searched tavns settings" in notes[0]
    assert "(its value is 0 in every trial)" in notes[0] and "cannot bind" in notes[0]
    assert not any("tavns_drive" in n for n in info["notes"])  # it moves with the settings
    assert f"NOTE: {notes[0]}." in output


def test_a_constant_violated_constraint_is_never_met(model, draws):
    cap = Constraint.parse("voice_alteration>=0.5", model)  # taVNS never alters the voice
    res = optimize(load_protocol(TAVNS), parse_space({"therapy": "tavns", "search": {
        "current": {"low": "1 mA", "high": "8 mA"}}}), draws,
        Outcome("madrs_reduction", "2 week"), [cap], n_trials=2, grid=0)
    assert res.constant == {cap.label: 0.0} and not res.best_feasible
    assert "is never met" in summary(res, "test", 0)["notes"][0]


# ------------------------------------------------------------------ 4: deterministic outcome
def test_a_value_that_does_not_vary_between_draws_has_no_interval():
    assert mean_interval(np.full(4, -0.295), binary=False) is None
    assert mean_interval(np.array([0.1, 0.2, 0.3]), binary=False) is not None
    assert mean_interval(np.zeros(4), binary=True) is not None  # Wilson: few draws


def test_min_charge_is_reported_as_the_charge_rate_without_interval(tmp_path):
    code, output = _cli(tmp_path, str(VNS), "--space", _space_file(tmp_path),
                        "--outcome", "min_charge", "-c", "vns_recruit_A>=0.05")
    assert code == 0, output
    info = json.loads((tmp_path / "out" / "best.json").read_text())
    assert info["best"]["ci95"] is None and info["improvement"]["ci95"] is None
    charge = -info["best"]["outcome"]
    assert charge > 0 and info["outcome"]["reported_as"]["unit"] == "uC/s"
    best = next(ln for ln in output.splitlines() if ln.startswith("Best      "))
    assert best.startswith(f"Best      mean VNS charge rate {charge:.3g} uC/s (the same in "
                           "every draw)"), best
    assert "Outcome: mean VNS charge rate (uC/s, 0-4 week; lower is better)" in output
    assert "Improvement over standard: mean VNS charge rate " in output
    assert "--" not in output.split("Outcome:")[1].split("Outputs:")[0]


def test_negative_intervals_read_lo_to_hi():
    from moodtwin.cli._optimize import _spread

    plain = {"outcome": {"reported_as": None}}
    assert _spread(plain, [-0.3, -0.1]) == "95 % CI -0.300 to -0.100"
    assert _spread(plain, [-0.3, 0.1], signed=True) == "95 % CI -0.300 to +0.100"
    charge = {"outcome": {"reported_as": {"sign": -1.0}}}
    assert _spread(charge, [-0.3, -0.1]) == "95 % CI 0.1 to 0.3"


# ------------------------------------------------------------------ 5: unknown observable
def test_unknown_observable_lists_every_accepted_name(model):
    with pytest.raises(UnknownNameError) as err:
        Constraint.parse("voice<=0.3", model)
    known = str(err.value).split("Known: ")[1].split(", ")
    assert sorted(known) == sorted(o.name for o in model.observables)
    assert {"voice_alteration", "vns_recruit_A"} <= set(known)


# ------------------------------------------------------------------ 6: figure
def test_surface_holds_the_best_point_with_the_trials_feasibility(model, draws, monkeypatch,
                                                                    tmp_path):
    space = parse_space({"therapy": "vns", "search": {
        "current": {"low": "0.25 mA", "high": "2.5 mA", "step": "0.25 mA"},
        "pulse_width": {"choices": ["130 us", "250 us", "500 us"]}},
        "fixed": {"titration_step": "2.5 mA"}})
    cap = Constraint.parse("voice_alteration<=0.6", model)
    res = optimize(VNS_BASE, space, draws, Outcome("madrs_reduction", "4 week"), [cap],
                   n_trials=4, seed=0, grid=3)
    s = res.surface
    assert res.best_feasible and s is not None and s.y is not None
    j = int(np.flatnonzero(np.isclose(s.xs, res.best_settings[s.x.name]))[0])
    i = int(np.flatnonzero(np.isclose(s.ys, res.best_settings[s.y.name]))[0])
    assert s.feasible[i, j] and s.values[i, j] == pytest.approx(res.best.mean)
    edges = _report._edges(s.xs, s.x.log_axis)  # each grid point inside its own cell
    assert np.all((edges[:-1] < s.xs) & (s.xs < edges[1:]))
    figures = []
    monkeypatch.setattr(_report, "save_png", lambda fig, *a, **k: figures.append(fig))
    write_report(res, tmp_path, "test draws", 0)
    titles = [ax.get_title() for ax in figures[0].axes]
    assert "Trade-off over the trials: voice_alteration" in titles
    assert any("no interpolation" in t for t in titles)


# ------------------------------------------------------------------ 7: twin
def test_twin_states_its_fresh_baseline(tmp_path):
    import pandas as pd

    pd.DataFrame({"vulnerability": np.linspace(-0.3, 0.3, 3)}).to_csv(
        tmp_path / "posterior_draws.csv", index=False)
    code, output = _cli(tmp_path, str(EX / "protocols/botulinum_glabellar.yaml"),
                        "--twin", str(tmp_path), "--outcome", "madrs_reduction")
    assert code == 0, output
    assert "NOTE: a twin's posterior draws are simulated from a fresh, untreated baseline" in (
        output)
    help_text = CliRunner().invoke(app, ["optimize", "--help"], terminal_width=200).output
    assert "fresh, untreated baseline" in " ".join(help_text.split())


def test_a_tavns_course_longer_than_the_horizon_ends_there():
    from moodtwin.optimize import build_protocol, default_space

    base = load_protocol(TAVNS)  # 12 weeks of sessions
    short = build_protocol(base, "tavns", default_space("tavns").standard, "4 week")
    assert short.therapies[0].duration == "28 d" and short.duration == "4 week"
    assert build_protocol(base, "tavns", default_space("tavns").standard,
                          "26 week").therapies[0].duration == "12 week"
