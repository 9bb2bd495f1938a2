"""Posterior ensembles: members of a parameter set, and trials, forecasts and optimizations
that draw them (a tiny 2-member set, not the shipped file's contents)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from moodtwin.cli import app
from moodtwin.errors import ValidationError
from moodtwin.parameter_sets import ParameterSet
from moodtwin.trials import parse_trial, run_trial

ROOT = Path(__file__).resolve().parents[1]
PROTOCOLS = ROOT / "examples" / "protocols"
OMEGA = "population.variability.k_LC.omega"
#: Two members far apart in the racemic-ketamine gain (range 0-3) and the k_LC spread.
MEMBERS = [{"r_ketamine_gain": 0.0, OMEGA: 0.3}, {"r_ketamine_gain": 3.0, OMEGA: 1.2}]


def _set_file(tmp_path: Path, ensemble: list | None = MEMBERS) -> Path:
    doc: dict = {"parameters": {"r_ketamine_gain": {"value": 0.5, "source": "test"}},
                 "population": {"variability.k_LC.omega": {"value": 0.8}}}
    if ensemble is not None:
        doc["ensemble"] = ensemble
    path = tmp_path / "set.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _ketamine_trial():  # noqa: ANN202
    return parse_trial({
        "name": "ensemble test", "n": 24, "duration": "7 d", "visits": ["1 d", "7 d"],
        "population": {"antidepressant_continued": 0.0},
        "arms": [{"name": "ketamine", "protocol": "ketamine_single_iv.yaml"},
                 {"name": "midazolam", "protocol": "midazolam_active_placebo.yaml"}],
        "endpoints": [{"type": "mean_change", "at": "1 d"}]}, PROTOCOLS)


def test_members_apply_their_values_and_population_overrides(tmp_path: Path) -> None:
    ps = ParameterSet.load(_set_file(tmp_path))
    assert len(ps.ensemble) == 2
    m0, m1 = ps.ensemble_members()
    assert ps.values["r_ketamine_gain"] == 0.5 and ps.population[OMEGA] == 0.8
    assert m0.values["r_ketamine_gain"] == 0.0 and m1.values["r_ketamine_gain"] == 3.0
    assert m0.population[OMEGA] == 0.3 and m1.population[OMEGA] == 1.2
    assert "member 1 of 2" in m1.model.parameter("r_ketamine_gain").source
    assert m0.ensemble == () and m0.ensemble_members() == []
    # an override on top of the set is applied on top of every member
    over = ps.with_values({"r_ketamine_gain": 1.0})
    assert [m.values["r_ketamine_gain"] for m in over.ensemble_members()] == [1.0, 1.0]
    assert [m.population[OMEGA] for m in over.ensemble_members()] == [0.3, 1.2]
    assert ParameterSet.load(_set_file(tmp_path, None)).ensemble_members() == []


@pytest.mark.parametrize("member, message", [
    ({"k_LCC": 1.0}, "ensemble member 0: .*k_LCC"),
    ({"k_LC": 1e6}, "ensemble member 0: .*k_LC"),
    ({"k_LC": "x"}, "ensemble member 0: 'k_LC' must be a finite number"),
    ([1.0], "ensemble member 0 must be a mapping"),
])
def test_bad_ensemble_member_is_one_line(tmp_path: Path, member: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ParameterSet.load(_set_file(tmp_path, [member]))


def test_trial_replicates_draw_members(tmp_path: Path) -> None:
    ps = ParameterSet.load(_set_file(tmp_path))
    trial = _ketamine_trial()
    ens = run_trial(trial, seed=3, replicates=2, parameters=ps)  # default: the ensemble
    own = run_trial(trial, seed=3, replicates=2, parameters=ps, ensemble=False)
    assert ens.members == (0, 1) and own.members is None
    assert (ens.endpoints["ensemble_member"] == ens.endpoints["replicate"] % 2).all()
    assert "ensemble_member" not in own.endpoints
    assert json.loads(json.dumps(ens.to_json()))["ensemble_members"] == [0, 1]
    assert "parameter uncertainty" in ens.interval
    ket = "mean_change:1d"

    def change(res, r: int) -> float:  # noqa: ANN001
        e = res.endpoints
        return float(e[(e.replicate == r) & (e.endpoint == ket) & (e.arm == "ketamine")]
                     ["estimate"].iloc[0])
    # same seed, same patients' noise: only the racemic gain differs (0 / 3 vs 0.5)
    assert change(ens, 0) > change(own, 0)
    assert change(ens, 1) < change(own, 1)
    one = run_trial(trial, seed=3, replicates=1, parameters=ps)  # default off for 1
    assert one.members is None
    with pytest.raises(ValidationError, match="no posterior ensemble"):
        run_trial(trial, replicates=2, parameters=ParameterSet.definition(), ensemble=True)


def test_cli_trial_ensemble_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import moodtwin.trials as trials

    seen = []

    def fake(*args, **kwargs):  # noqa: ANN002, ANN003 - records what the CLI passes
        seen.append(kwargs["ensemble"])
        raise ValidationError("stop here")

    monkeypatch.setattr(trials, "run_trial", fake)
    params = _set_file(tmp_path)
    trial = ROOT / "examples" / "trials" / "ketamine_murrough2013.yaml"
    for flag, expected in (("--ensemble", True), ("--no-ensemble", False), (None, None)):
        args = ["trial", str(trial), "--params", str(params), "--out", str(tmp_path / "o")]
        r = CliRunner().invoke(app, args + ([flag] if flag else []))
        assert "stop here" in r.output and r.exit_code != 0
        assert seen[-1] is expected


# ------------------------------------------------------------------------------- forecast
@pytest.fixture(scope="module")
def person_fit():  # noqa: ANN201 - a PersonFit whose "posterior" is 30 prior draws (fast)
    import pandas as pd

    from moodtwin.person import PersonFit, fitted_parameters, load_person, person_prior

    record = load_person(ROOT / "examples" / "person" / "synthetic_vns")
    record = record[0] if isinstance(record, tuple) else record
    prior = person_prior(fitted_parameters(record),
                         record.model_for(ParameterSet.definition().model))
    z = prior.sample(np.random.default_rng(0), 30)
    return PersonFit(record, prior, z[None], np.zeros((1, 30)), pd.DataFrame(), [], 0.0)


def test_forecast_draws_members(person_fit) -> None:  # noqa: ANN001
    from moodtwin.person import forecast

    cand = ROOT / "examples" / "person" / "candidates" / "vns_plus_ketamine.yaml"
    base = ParameterSet.definition()
    # ketamine's spine formation rate: the centre of the prior of a therapy never tried
    two = ParameterSet(base.name, base.model, {}, ({"k_syn": 0.01}, {"k_syn": 0.3}))
    one = ParameterSet(base.name, base.model, {}, ({"k_syn": 0.3},))

    def madrs(fc) -> np.ndarray:  # noqa: ANN001 - the MADRS band of the candidate
        b = fc.candidates[0].bands
        return b[b.quantity == "MADRS"][["q5", "median", "q95"]].to_numpy()

    kw = {"draws": 24, "seed": 2, "at": (("2w", 336.0),)}
    plain = forecast(person_fit, [cand], parameters=base, **kw)  # a bare path is a candidate
    assert plain.ensemble_members == 0 and plain.candidates[0].file == str(cand)
    ens = forecast(person_fit, [(str(cand), cand)], parameters=two, ensemble=True, **kw)
    assert ens.ensemble_members == 2
    assert not np.allclose(madrs(ens), madrs(plain))
    # one member: every draw is that member's, the same as forecasting with the member
    alone = forecast(person_fit, [cand], parameters=one, ensemble=True, **kw)
    member = forecast(person_fit, [cand], parameters=one.ensemble_members()[0], **kw)
    assert np.array_equal(madrs(alone), madrs(member))
    with pytest.raises(ValidationError, match="no posterior ensemble"):
        forecast(person_fit, [cand], parameters=base, ensemble=True, **kw)


# ------------------------------------------------------------------------------- optimize
def test_optimize_over_members(tmp_path: Path) -> None:
    from moodtwin.optimize import Outcome, optimize, parse_space, population_draws, summary

    ps = ParameterSet.load(_set_file(tmp_path, [{"k_LC": 0.1}, {"k_LC": 5.0}]))
    pop = population_draws(6, ps, seed=3, ensemble=True)  # patient i around member i mod 2
    assert np.median(pop["k_LC"][0::2]) < 0.5 < np.median(pop["k_LC"][1::2])
    base = ROOT / "examples" / "protocols" / "vns_standard.yaml"
    space = parse_space({"therapy": "vns", "search": {"current": {"low": "0.5 mA",
                                                                   "high": "2 mA"}}})
    # draws that lack k_LC take it from member i mod 2; one vulnerability for all four, so
    # that the members, not the patients, differ
    draws = {"vulnerability": np.repeat(pop["vulnerability"][:1], 4)}
    res = optimize(base, space, draws, Outcome("madrs_reduction", "4 week"), n_trials=2,
                   grid=0, parameters=ps, ensemble=True)
    assert list(res.members) == [0, 1, 0, 1]
    low, high = res.by_member(res.best)
    assert high > low  # a larger LC gain, a larger MADRS reduction under VNS
    info = summary(res, "test", 0)["ensemble"]
    assert info["members"] == 2 and info["best"]["range"] == [low, high]
    plain = optimize(base, space, draws, Outcome("madrs_reduction", "4 week"), n_trials=2,
                     grid=0, parameters=ps)
    assert plain.members is None and summary(plain, "test", 0)["ensemble"] is None


def test_cli_forecast_and_optimize_have_the_flag() -> None:
    for command in ("forecast", "optimize"):
        r = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
        assert "--ensemble" in r.output and "--no-ensemble" in r.output


# ------------------------------------------------------------------------------- protocols
def test_verbs_take_a_protocol_file_and_refuse_other_types() -> None:
    import moodtwin

    path = ROOT / "examples" / "protocols" / "ketamine_single_iv.yaml"
    by_path = moodtwin.simulate(str(path), save_times_h=np.array([0.0, 24.0]))
    by_obj = moodtwin.simulate(moodtwin.load_protocol(path), save_times_h=np.array([0.0, 24.0]))
    assert np.array_equal(by_path["madrs"], by_obj["madrs"])
    assert moodtwin.simulate(path, save_times_h=np.array([0.0, 24.0])).protocol_name
    for verb, args in (("simulate", ()), ("run_sweep", (None, np.array([0.0, 24.0]))),
                       ("export_sbml", ())):
        with pytest.raises(ValidationError, match="must be a Protocol or a protocol file "
                                                  "path .*got int"):
            getattr(moodtwin, verb)(42, *args)
    with pytest.raises(ValidationError, match="trial must be a Trial or a trial file path"):
        moodtwin.run_trial(42)
    trial = ROOT / "examples" / "trials" / "ketamine_murrough2013.yaml"
    assert moodtwin.run_trial(str(trial), n=6).trial.name == moodtwin.load_trial(trial).name
