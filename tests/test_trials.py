"""Virtual populations, trial files, endpoints, replicates, calibration and validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from moodtwin.calibration import (
    calibrate,
    collect_targets,
    load_parameter_set,
    model_prior,
    realization_check,
)
from moodtwin.cli import app
from moodtwin.errors import ValidationError
from moodtwin.population import PopulationSpec, generate_population
from moodtwin.trials import _run as trial_run
from moodtwin.trials import load_trial, parse_trial, run_trial

ROOT = Path(__file__).resolve().parents[1]
TRIALS = ROOT / "examples" / "trials"
PROTOCOLS = ROOT / "examples" / "protocols"
MURROUGH = TRIALS / "ketamine_murrough2013.yaml"


def _trial(**over: object) -> dict:
    base = {
        "name": "test", "n": 40, "duration": "7 d", "visits": ["1 d", "7 d"],
        "population": {"antidepressant_continued": 0.0},
        "arms": [{"name": "ketamine", "protocol": "ketamine_single_iv.yaml"},
                 {"name": "midazolam", "protocol": "midazolam_active_placebo.yaml"}],
        "endpoints": [{"type": "mean_change", "at": "1 d"},
                      {"type": "difference", "of": "mean_change", "at": "1 d",
                       "arms": ["ketamine", "midazolam"]}],
    }
    base.update(over)
    return base


# ------------------------------------------------------------------------------- population
def test_population_is_reproducible_and_matches_baselines() -> None:
    spec = PopulationSpec().merged({"antidepressant_continued": 0.5,
                                    "inclusion": {"min_score": 26}})
    a = generate_population(spec, 30, seed=3)
    b = generate_population(spec, 30, seed=3)
    c = generate_population(spec, 30, seed=4)
    assert np.array_equal(a.table, b.table) and np.array_equal(a.y0, b.y0)
    assert not np.array_equal(a.table, c.table)
    assert (a.covariates["screening_score"] >= 26).all()
    assert set(a.covariates["antidepressant_continued"]) == {True, False}
    # the solved vulnerability reproduces each patient's drawn baseline at steady state
    from moodtwin.population._generate import BASELINE_TOLERANCE

    madrs = a.model.observables.index(next(o for o in a.model.observables if o.name == "madrs"))
    tab = a.table[~a.covariates["antidepressant_continued"].to_numpy()]
    target = a.covariates["baseline_madrs"].to_numpy()[~a.covariates[
        "antidepressant_continued"].to_numpy()]
    from moodtwin.population._generate import baseline_protocol
    from moodtwin.protocols import compile_protocol
    from moodtwin.simulation import SolverOptions, run_engine

    tl = compile_protocol(baseline_protocol(False), a.model, a.model.defaults())
    _, status, obs = run_engine(a.model, tab, tl, np.array([0.0]), SolverOptions())
    assert (status == 0).all()
    assert np.abs(obs[:, 0, madrs] - target).max() < 4 * BASELINE_TOLERANCE


def test_population_rejects_impossible_inclusion() -> None:
    spec = PopulationSpec().merged({"inclusion": {"min_score": 59}})
    with pytest.raises(ValidationError, match="inclusion criteria"):
        generate_population(spec, 10, seed=0)


def _hamd17_enrolled(mean: float) -> PopulationSpec:
    return PopulationSpec().merged({"baseline": {"scale": "HAMD17", "mean": mean, "sd": 4.0,
                                                 "min": 10, "max": 45},
                                    "inclusion": {"min_score": 26}})


def test_enrolled_mean_near_the_inclusion_bound_is_reached() -> None:
    """Close to min_score the enrolled mean moves less than the candidates' mean: six unit
    steps stopped 0.3 points short of 27 without a word."""
    from moodtwin import scales
    from moodtwin.population._generate import (
        ENROLLED_FIT_DRAWS,
        ENROLLED_TOLERANCE,
        _candidates,
        _eligible,
        candidate_spec,
    )

    spec = candidate_spec(_hamd17_enrolled(27.0), 1.7)
    c = _candidates(spec, ENROLLED_FIT_DRAWS, np.random.default_rng(0), 1.7)
    enrolled = scales.convert(c["baseline_madrs"].to_numpy()[_eligible(spec, c)], "HAMD17")
    assert abs(enrolled.mean() - 27.0) < ENROLLED_TOLERANCE


def test_enrolled_mean_below_min_score_is_refused() -> None:
    """A HAM-D-17 enrolled mean of 22 with min_score 26 enrolled patients averaging ~27."""
    with pytest.raises(ValidationError, match=r"population\.baseline\.mean: 22 \(HAMD17, of: "
                                              r"enrolled\).*min_score 26") as err:
        generate_population(_hamd17_enrolled(22.0), 10, seed=0)
    assert "\n" not in str(err.value)


def test_population_names_a_failed_burn_in(model) -> None:
    """A patient whose burn-in fails (NaN states: a solver failure or a chunk lost on a Dask
    cluster, status -1) is excluded with that reason; the others are kept."""
    from moodtwin.simulation import run_engine

    def engine(*args, **kwargs):  # the first patient of every burn-in batch is lost
        states, status, obs = run_engine(*args, **kwargs)
        states[0], obs[0], status[0] = np.nan, np.nan, -1
        return states, status, obs

    pop = generate_population(PopulationSpec(), 12, seed=2, engine=engine)
    assert 0 < len(pop) < 12 and np.isfinite(pop.y0).all()
    assert any("burn-in failed" in x for x in pop.excluded)


def test_population_covariates_set_parameters() -> None:
    pop = generate_population(PopulationSpec().merged({"female": 0.5}), 200, seed=1)
    cov = pop.covariates
    assert cov.loc[cov.sex == "male", "body_weight"].mean() > cov.loc[
        cov.sex == "female", "body_weight"].mean()
    young, old = cov.age < 35, cov.age > 55
    assert cov.loc[young, "vagal_base"].median() > cov.loc[old, "vagal_base"].median()


# ------------------------------------------------------------------------------- trial files
@pytest.mark.parametrize("change, message", [
    ({"endpoints": [{"type": "mean_change", "arms": ["nobody"]}]}, "unknown arm 'nobody'"),
    ({"endpoints": [{"type": "mean_change", "at": "2 d"}]}, "is not a visit"),
    ({"arms": [{"name": "k", "protocol": "missing.yaml"}]}, "not found"),
    ({"visits": ["1 d", "9 d"]}, "after the trial's end"),
    ({"endpoints": [{"type": "cohen_d", "arms": ["ketamine"]}]}, "compares two arms"),
    ({"dropout": 1.5}, "dropout"),
    ({"visits": None}, "visits: missing; give the rating visits"),
    ({"visits": "weekly"}, "visits: give a list of times .* got 'weekly'"),
    # found by a new-user audit (round 54): each of these used to run and give a wrong number
    ({"endpoints": [{"id": "e", "type": "mean_change", "at": "1 d"},
                    {"id": "e", "type": "response_rate", "at": "1 d"}]},
     "id 'e' is given 2 times"),
    ({"endpoints": [{"type": "difference", "of": "mean_change", "at": "1 d",
                     "arms": ["ketamine", "ketamine"]}]}, "compares an arm with itself"),
    ({"visits": ["0 d", "1 d", "7 d"], "endpoints": [{"type": "mean_change", "at": "0 d"}]},
     "is the baseline itself"),
    ({"endpoints": [{"type": "response_rate", "at": "1 d",
                     "published": {"ketamine": {"value": 0.52, "ci": [0.1, 0.3]}}}]},
     "value 0.52 lies outside its ci"),
    ({"population": {"baseline": {"scale": "MADRS", "mean": 32, "sd": 5, "max": 70}}},
     "baseline max 70 is outside 0-60"),
    ({"population": {"inclusion": {"min_score": 75}}},
     r"inclusion.min_score: 75 is outside 0-60"),
    ({"population": {"baseline": {"scale": "MADRS", "mean": 30, "sd": 5, "max": 50},
                     "inclusion": {"min_score": 55}}}, "above population.baseline.max 50"),
    ({"scale": "PHQ9", "population": {"baseline": {"scale": "MADRS", "mean": 30, "sd": 5,
                                                   "max": 50}, "inclusion": {"min_score": 55}}},
     "above population.baseline.max 50"),  # screened on the baseline's scale, not the PHQ-9
    ({"population": {"baseline": {"scale": "MDRS", "mean": 30, "sd": 5}}},
     r"population.baseline: Unknown scale 'MDRS'. Did you mean 'MADRS'"),
])
def test_bad_trial_files_give_clear_errors(change: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_trial(_trial(**change), PROTOCOLS)


def test_inclusion_reads_the_baseline_scale_not_the_trial_scale() -> None:
    """MADRS >= 30 at screening in a trial rated on the PHQ-9 (0-27) was refused as 'outside
    0-27 (PHQ9, the screening scale)', though screening uses the baseline's scale."""
    trial = parse_trial(_trial(scale="PHQ9", population={
        "baseline": {"scale": "MADRS", "mean": 34, "sd": 4, "min": 20, "max": 50},
        "inclusion": {"min_score": 30}}), PROTOCOLS)
    assert trial.population.inclusion.min_score == 30


def test_a_trial_file_anywhere_names_catalogue_protocols_by_name(tmp_path: Path) -> None:
    data = _trial(arms=[{"name": "ketamine", "protocol": "ketamine_single_iv"},
                        {"name": "midazolam", "protocol": "midazolam_active_placebo.yaml"}])
    trial = parse_trial(data, tmp_path)  # nothing of that name next to the trial file
    assert [a.periods[0].protocol.therapies[0].type for a in trial.arms] == [
        "ketamine_iv", "midazolam_iv"]
    with pytest.raises(ValidationError, match="did you mean 'ketamine_single_iv'.*In the "
                       "catalogue: .*no_treatment") as e:
        parse_trial(_trial(arms=[{"name": "ketamine", "protocol": "ketamine_singel_iv"},
                                 {"name": "midazolam", "protocol": "no_treatment"}]), tmp_path)
    assert "\n" not in str(e.value)


def test_every_shipped_trial_file_is_valid_and_has_targets() -> None:
    targets = collect_targets([TRIALS])
    files = {t.trial_file.name for t in targets}
    assert len(files) == len(list(TRIALS.glob("*.yaml"))) >= 11
    for t in targets:  # a published number needs its uncertainty; a claim has none
        assert t.published.claim is not None or t.sigma > 0


# ------------------------------------------------------------------------------- running
def test_trial_is_reproducible_and_ketamine_beats_midazolam() -> None:
    trial = parse_trial(_trial(), PROTOCOLS)
    a = run_trial(trial, seed=5, replicates=2)
    b = run_trial(trial, seed=5, replicates=2)
    assert a.endpoints.equals(b.endpoints)
    s = a.summary().set_index(["endpoint", "arm"])
    ket = s.loc[("mean_change:1d", "ketamine"), "mean"]
    mid = s.loc[("mean_change:1d", "midazolam"), "mean"]
    diff = s.loc[("difference_mean_change:1d", "ketamine vs midazolam"), "mean"]
    assert ket < mid < 0
    assert diff == pytest.approx(ket - mid, abs=1e-9)


def test_failed_patient_is_reported_and_excluded(monkeypatch: pytest.MonkeyPatch) -> None:
    real = trial_run.run_engine

    def failing(*args, **kwargs):  # the first patient of every group fails
        states, status, obs = real(*args, **kwargs)
        status[0] = 2
        return states, status, obs

    monkeypatch.setattr(trial_run, "run_engine", failing)
    res = run_trial(parse_trial(_trial(), PROTOCOLS), seed=1)
    assert len(res.failures) == 2 and "step size" in res.failures[0]
    n = res.summary().set_index(["endpoint", "arm"])["n"]
    assert n[("mean_change:1d", "ketamine")] + n[("mean_change:1d", "midazolam")] == 38


def test_crossover_withdrawal_cohorts_and_dropout() -> None:
    data = _trial(
        duration="8 week", visits={"every": "1 week"}, n=60, dropout=0.3,
        arms=[{"name": "ket_then_mid", "periods": [
            {"protocol": "ketamine_repeated_iv.yaml", "until": "2 week"},
            {"protocol": "midazolam_active_placebo.yaml"}]},
            {"name": "tau_cohort", "n": 20, "protocol": "no_treatment.yaml",
             "population": {"baseline": {"mean": 25, "sd": 3}}}],
        withdrawal={"at": "4 week", "criterion": "all", "arms": [
            {"name": "continue", "protocol": "ketamine_repeated_iv.yaml"},
            {"name": "stop", "protocol": "no_treatment.yaml"}]},
        endpoints=[
            {"type": "median_time_to_relapse", "relapse_score": 25, "arms": ["continue", "stop"]},
            {"type": "hazard_ratio", "relapse_score": 25, "arms": ["continue", "stop"]},
            {"type": "cumulative_response_rate", "at": "4 week",
             "arms": ["ket_then_mid", "tau_cohort"]},
            {"type": "time_in_response", "at": "4 week", "arms": ["ket_then_mid"]},
            {"type": "biomarker_change", "measure": "bdnf_serum_ngml", "at": "1 week"}])
    trial = parse_trial(data, PROTOCOLS)
    res = run_trial(trial, seed=2)
    p = res.first.patients
    assert (p.arm == "tau_cohort").sum() == 20
    assert p.loc[p.arm == "tau_cohort", "baseline_madrs"].mean() < p.loc[
        p.arm == "ket_then_mid", "baseline_madrs"].mean()
    assert set(p.withdrawal_arm) >= {"continue", "stop"}
    assert np.isnan(res.first.observed["MADRS"]).any()  # dropout
    s = res.summary().set_index(["endpoint", "arm"])
    hr = s.loc[("hazard_ratio", "continue vs stop"), "mean"]
    assert np.isfinite(hr) and hr < 1.0  # continued ketamine delays relapse
    rate = s.loc[("cumulative_response_rate:4week", "ket_then_mid"), "mean"]
    assert rate > s.loc[("cumulative_response_rate:4week", "tau_cohort"), "mean"]


# ------------------------------------------------------------------------------- CLI
def test_cli_trial_writes_result_and_report(tmp_path: Path) -> None:
    out = tmp_path / "t"
    r = CliRunner().invoke(app, ["trial", str(MURROUGH), "--n", "24", "--replicates", "2",
                                 "--seed", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    # the file's published values beside the simulated ones (Murrough 2013: -16.5 at 24 h)
    assert "published: -16.500 [" in r.output
    doc = json.loads((out / "result.json").read_text())
    assert doc["replicates"] == 2 and doc["endpoints"]
    row = doc["endpoints"][0]
    assert {"endpoint", "arm", "mean", "interval_95", "replicates"} <= set(row)
    assert row["interval_95"][0] <= row["mean"] <= row["interval_95"][1]
    for f in ("patients.csv", "endpoints.csv", "report.png", "report.html"):
        assert (out / f).stat().st_size > 0


def test_report_of_a_single_arm_trial_is_written_without_warnings(tmp_path: Path) -> None:
    """One arm (an open-label cohort such as D-03) draws one response bar; pandas' one-element
    Series used to reach matplotlib as the error bar (a FutureWarning, an error here)."""
    from moodtwin.trials._report import write_outputs

    spec = parse_trial(_trial(arms=[{"name": "ketamine", "protocol": "ketamine_single_iv.yaml"}],
                              endpoints=[{"type": "response_rate", "at": "1 d"}]), PROTOCOLS)
    paths = write_outputs(run_trial(spec, seed=1, replicates=2, n=20), tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)


def test_report_png_keeps_a_long_trial_name_inside_the_figure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A trial name of a published design (100+ characters) was cut at both sides of the PNG."""
    from moodtwin.trials import _report

    figures = []
    real_save = _report.save_png
    monkeypatch.setattr(_report, "save_png", lambda fig, *a, **k: (
        figures.append(fig), real_save(fig, *a, **k)))
    name = ("Single ketamine vs midazolam crossover, then six open infusions, then weekly "
            "maintenance for responders (a long design name)")
    spec = parse_trial(_trial(name=name, endpoints=[{"type": "response_rate", "at": "1 d"}]),
                       PROTOCOLS)
    _report._png(run_trial(spec, seed=1, n=10), tmp_path / "report.png")
    fig = figures[0]
    title = fig.axes[0].title
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    box = title.get_window_extent(FigureCanvasAgg(fig).get_renderer())  # closed: a new canvas
    assert title.get_text().replace("\n", " ") == name
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width


def test_cli_trial_bad_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_trial(arms=[{"name": "x"}])))
    r = CliRunner().invoke(app, ["trial", str(bad), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert r.output.strip().startswith("error:") and "Traceback" not in r.output


def test_calibrate_and_validate_end_to_end(tmp_path: Path) -> None:
    targets = collect_targets([MURROUGH])
    priors = [model_prior("w_pot"), model_prior("k_fast_relief")]
    cal = calibrate(targets, priors, n_max=30, population_size=4, generations=2,
                    database=tmp_path / "abc.db")
    fit, fresh = realization_check(cal, targets, n_max=30, fresh=2)
    assert 0.0 <= fit < 1e3 and 0.0 <= fresh < 1e3 and fit != fresh  # other realizations
    path = cal.to_yaml(tmp_path / "set.yaml", ensemble_size=3, realizations=(fit, fresh))
    values = load_parameter_set(path)
    assert set(values) == {"w_pot", "k_fast_relief"}
    for name, (lo, hi) in cal.posterior.interval(1.0).items():
        assert lo <= values[name] <= hi  # the point lies inside its own posterior
    doc = yaml.safe_load(path.read_text())
    assert "calibrated to" in doc["parameters"]["w_pot"]["source"] and len(doc["ensemble"]) == 3
    assert doc["calibration"]["point_distance"]["independent_realizations_mean"] == round(fresh, 2)
    # the final population was selected on generation 1's own realization, not the seed's
    assert doc["calibration"]["last_realization_seed"] == cal.realization_seed == 2000
    r = CliRunner().invoke(app, ["validate", str(MURROUGH), "--replicates", "2", "--chance",
                                 "3", "--params", str(path), "--out", str(tmp_path / "v")])
    assert r.exit_code == 0, r.output
    assert "published numbers pass" in r.output and (tmp_path / "v" / "validation.csv").exists()
    assert "if the model were exact (3 stand-in trials" in r.output
    table = pd.read_csv(tmp_path / "v" / "validation.csv")
    assert table["chance_fail"].between(0, 1).all() and (table["spread_ratio"] > 0).all()


def test_cli_calibrate_writes_set_identifiability_and_profile(tmp_path: Path) -> None:
    """``moodtwin calibrate --profile 2`` from the command line: a parameter set that
    ``--params`` accepts, the identifiability table and one profile row per calibrated value,
    each with its 90 % interval inside its prior."""
    out = tmp_path / "cal.yaml"
    r = CliRunner().invoke(app, ["calibrate", str(MURROUGH), "-p", "w_pot", "-p", "k_fast_relief",
                                 "--particles", "4", "--generations", "1", "--n-max", "20",
                                 "--profile", "2", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Distance profile:" in r.output and "values pinned on both sides" in r.output
    prof = pd.read_csv(out.with_suffix(".profile.csv"))
    assert {"w_pot", "k_fast_relief"} <= set(prof["parameter"])
    assert (prof["profile_low_90"] >= prof["prior_low"] - 1e-12).all()
    assert (prof["profile_high_90"] <= prof["prior_high"] + 1e-12).all()
    assert out.with_suffix(".identifiability.csv").exists()
    assert "w_pot" in load_parameter_set(out)
    source = yaml.safe_load(out.read_text())["parameters"]["w_pot"]["source"]
    assert "one-at-a-time distance-profile 90% interval" in source and "cal.profile.csv" in source


def test_calibration_realizations_average_independent_runs_and_shrink_the_mc_error() -> None:
    """With ``realizations=2`` each published number is compared with the mean of two
    independent virtual trials (the first is the single run of ``realizations=1``), and its
    Monte-Carlo error is that of twice the patients: sigma_pub * sqrt(n_pub / (2 n))."""
    import math

    from moodtwin.calibration._abc import HETEROGENEITY, trial_scores
    from moodtwin.parameter_sets import ParameterSet

    targets, base = collect_targets([MURROUGH]), ParameterSet.calibrated()
    one = trial_scores(targets, n_max=24, seed=3, parameters=base)({})
    two = trial_scores(targets, n_max=24, seed=3, parameters=base, realizations=2)({})
    res = run_trial(MURROUGH, seed=3, n=24, replicates=2, ensemble=False, parameters=base)
    e = res.endpoints
    for t in targets:
        if t.published.value is None:
            continue
        est = e[(e["endpoint"] == t.endpoint) & (e["arm"] == t.arm)]["estimate"].to_numpy()
        assert one[t.label][0] == pytest.approx(est[0])
        assert two[t.label][0] == pytest.approx(est.mean())
        var = t.sigma**2 * (1 + 73 / 48) + (HETEROGENEITY * t.published.value) ** 2
        overlap = 1 + len(t.trial.overlaps)
        assert two[t.label][1] == pytest.approx(
            (two[t.label][0] - t.published.value) ** 2 / var / overlap)
        assert math.isfinite(two[t.label][1])
    with pytest.raises(ValidationError, match="realizations must be at least 1"):
        trial_scores(targets, n_max=24, seed=3, realizations=0)


def test_trial_loader_reads_shipped_file() -> None:
    t = load_trial(MURROUGH)
    assert [a.name for a in t.arms] == ["ketamine", "midazolam"] and t.n == 73


def test_html_report_escapes_user_strings(tmp_path: Path) -> None:
    from moodtwin.trials._report import write_outputs

    evil = "<script>alert('x')</script>"
    trial = parse_trial(_trial(name=f"Trial {evil}", source=f"Source {evil}", n=4,
                               visits=["1 d"], endpoints=[{"type": "mean_change"}]),
                        PROTOCOLS)
    paths = write_outputs(run_trial(trial, seed=0), tmp_path)
    html = next(p for p in paths if p.suffix == ".html").read_text()
    assert "<script>alert" not in html
    assert "Trial &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "Source &lt;script&gt;" in html


def test_a_published_risk_ratio_is_compared_on_the_log_scale() -> None:
    """The day-7 meta-analysis's ketamine/midazolam response ratio, 3.4 (95 % CI 1.6-7.1),
    has a log-symmetric interval: its standard error is ln(7.1/1.6)/3.92 = 0.380 on the log
    scale, and a simulated ratio twice the published one is as far from it as one half."""
    import math

    from moodtwin.calibration._targets import collect_targets

    target = next(t for t in collect_targets(fitted_only=True)
                  if t.label.endswith("response_rr_day7_vs_midazolam/ketamine vs midazolam"))
    assert target.is_ratio and not target.is_rate
    assert math.isclose(target.sigma, math.log(7.1 / 1.6) / 3.92, rel_tol=1e-12)
    assert math.isclose(target.sigma, 0.380, abs_tol=5e-4)
    far_up = target.on_scale(6.8) - target.on_scale(3.4)
    far_down = target.on_scale(3.4) - target.on_scale(1.7)
    assert math.isclose(far_up, far_down, rel_tol=1e-12)
    # on the linear scale the published interval is lopsided: 1.8 below, 3.7 above
    assert target.ci == (1.6, 7.1)
    differences = [t for t in collect_targets(fitted_only=True) if not t.is_ratio]
    assert all(t.on_scale(2.5) == 2.5 for t in differences)


def test_an_exact_model_fails_one_number_in_twenty_and_all_pass_at_095_to_the_k() -> None:
    """The reference for the pass rule: stand-in published values drawn around the
    simulated mean with the published standard error fail |z| <= 1.96 5 % of the time, so
    all of 40 independent numbers pass with chance 0.95^40 = 0.129, and the chi-square
    averages 40 (its degrees of freedom); a ratio is scored on the log scale, and a missing
    stand-in counts as a failure."""

    from moodtwin.calibration import ChanceReference
    from moodtwin.calibration._chance import stand_in_z

    rng = np.random.default_rng(11)
    k, m = 40, 4000
    z = {f"n{j}": stand_in_z(rng.normal(10.0 + j, 2.0, m), 10.0 + j, 0.0, 2.0, False)
         for j in range(k - 1)}
    z["ratio"] = stand_in_z(3.4 * np.exp(rng.normal(0.0, 0.38, m)), 3.4, 0.0, 0.38, True)
    ref = ChanceReference(pd.DataFrame(z), pd.Series("calibration", index=list(z)),
                          pd.Series(1.0, index=list(z)))
    rate = ref.fail_rate()
    assert abs(rate.mean() - 0.05) < 3 * np.sqrt(0.05 * 0.95 / (k * m))
    assert abs(rate["ratio"] - 0.05) < 4 * np.sqrt(0.05 * 0.95 / m)
    all_pass = np.mean(ref.failures("calibration") == 0)
    assert abs(all_pass - 0.95**k) < 4 * np.sqrt(0.129 * 0.871 / m)
    assert abs(ref.chi_square("calibration").mean() - k) < 4 * np.sqrt(2 * k / m)
    assert stand_in_z(np.array([np.nan]), 1.0, 0.1, 1.0, False)[0] > 1.96
    assert stand_in_z(np.array([0.0]), 3.4, 0.0, 0.38, True)[0] > 1.96


def test_mc_error_sizes_each_trial_for_its_monte_carlo_error() -> None:
    """``--mc-error R``: each trial gets n_published / (R^2 x realizations) patients per
    realization, so every number's Monte-Carlo error is R published standard errors (up to
    rounding up), and ``--n-max`` still caps it."""
    from moodtwin.calibration._abc import fitting_mc_se, simulated_size
    from moodtwin.calibration._targets import collect_targets

    targets = collect_targets(fitted_only=True)
    murrough = next(t for t in targets if t.label.startswith("ketamine_murrough2013/"))
    registry = next(t for t in targets if t.label.startswith("vns_registry_5yr/"))
    assert simulated_size(murrough, 5000, 0.5, 2) == 146  # 73 / (0.25 x 2)
    assert simulated_size(registry, 5000, 0.5, 1) == 3180  # 795 / 0.25
    assert simulated_size(registry, 1000, 0.5, 1) == 1000  # capped
    assert simulated_size(registry, 100) == 100  # without mc_error: the cap alone
    for t in targets:
        if t.published.value is None:
            continue
        ratio = fitting_mc_se(t, 10**6, 2, 0.5) / t.sigma
        assert 0.45 < ratio <= 0.5 + 1e-12, t.label
    with pytest.raises(ValidationError, match="mc_error must be positive"):
        simulated_size(murrough, 100, 0.0)


_CROSSOVER = """
name: crossover with published within-patient and pooled values
n: 16
duration: 14 d
visits: [1 d, 7 d, 8 d]
scale: MADRS
population: {antidepressant_continued: 0.0}
arms:
  - name: ket_first
    periods:
      - {protocol: ketamine_single_iv, until: 7 d, label: ketamine}
      - {protocol: midazolam_active_placebo, label: midazolam}
  - name: mdz_first
    periods:
      - {protocol: midazolam_active_placebo, until: 7 d, label: midazolam}
      - {protocol: ketamine_single_iv, label: ketamine}
pools: {everyone: [ket_first, mdz_first]}
endpoints:
  - {id: within, type: within_difference, of: mean_change, periods: [ketamine, midazolam],
     after: 1 d, published: {value: -5.0, se: 1.5}}
  - {id: resp, type: response_rate, at: 1 d, arms: [everyone],
     published: {everyone: {value: 0.3, n: 32}}}
"""
_CLAIMS_ONLY = """
name: a negative trial published as a claim only
n: 16
duration: 7 d
visits: [1 d, 7 d]
population: {antidepressant_continued: 0.0}
arms:
  - {name: ketamine, protocol: ketamine_single_iv}
  - {name: midazolam, protocol: midazolam_active_placebo}
endpoints:
  - {id: diff, type: difference, of: mean_change, at: 7 d, arms: [ketamine, midazolam],
     published: {claim: no_difference, test: welch_t}}
"""


def test_validate_scores_within_patient_pooled_and_claim_only_files(tmp_path: Path) -> None:
    """A crossover's within-patient contrast and a pool's rate can carry published values,
    and a file whose only published result is a significance claim validates (no number to
    plot: the figure says so) -- each used to stop ``validate``."""
    (tmp_path / "crossover.yaml").write_text(_CROSSOVER)
    (tmp_path / "claims.yaml").write_text(_CLAIMS_ONLY)
    r = CliRunner().invoke(app, ["validate", str(tmp_path / "claims.yaml"), "--replicates",
                                 "2", "--out", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    assert "1 significance claims hold" in r.output and "published numbers" not in r.output
    assert (tmp_path / "c" / "validation.png").exists()
    r = CliRunner().invoke(app, ["validate", str(tmp_path / "crossover.yaml"), "--replicates",
                                 "2", "--out", str(tmp_path / "x")])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(tmp_path / "x" / "validation.csv")
    assert set(table["arm"]) == {"ketamine vs midazolam (within)", "everyone"}
    assert table["z"].notna().all()


def test_an_endpoint_can_be_reported_without_being_fitted(tmp_path: Path) -> None:
    """``role: validation`` on one endpoint: validate reports it, calibrate does not fit it,
    while the file's other published values stay calibration targets."""
    path = tmp_path / "two_roles.yaml"
    path.write_text(_CLAIMS_ONLY.replace(
        "     published: {claim: no_difference, test: welch_t}}",
        "     published: {value: -3.0, se: 2.0}}\n"
        "  - {id: resp, type: response_rate, at: 1 d, role: validation,\n"
        "     published: {ketamine: {value: 0.4, n: 16}}}"))
    every = {t.label: t.role for t in collect_targets([path])}
    assert every == {"two_roles/diff/ketamine vs midazolam": "calibration",
                     "two_roles/resp/ketamine": "validation"}
    assert [t.label for t in collect_targets([path], fitted_only=True)] == [
        "two_roles/diff/ketamine vs midazolam"]


def test_validate_scores_the_point_values_without_the_ensemble(tmp_path: Path) -> None:
    """``validate --no-ensemble`` scores the parameter set's point values: every replicate
    is the point's, so the simulated means are those of ``run_trial(..., ensemble=False)``
    on the same seed, and they differ from the ensemble's."""
    from moodtwin.calibration import validate

    point = validate([MURROUGH], replicates=2, seed=1, ensemble=False)
    drawn = validate([MURROUGH], replicates=2, seed=1)
    res = run_trial(MURROUGH, seed=1, replicates=2, ensemble=False)
    s = res.summary().set_index(["endpoint", "arm"])["mean"]
    for row in point.itertuples():
        assert row.simulated == pytest.approx(s[(row.endpoint, row.arm)])
    assert not np.allclose(point["simulated"], drawn["simulated"])
    r = CliRunner().invoke(app, ["validate", str(MURROUGH), "--replicates", "2",
                                 "--seed", "1", "--no-ensemble", "--out", str(tmp_path / "v")])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(tmp_path / "v" / "validation.csv")
    assert np.allclose(table["simulated"], point["simulated"])


def test_validate_and_calibrate_refuse_files_without_published_values(tmp_path: Path) -> None:
    """A design file (no ``published`` value) given to ``validate`` or ``calibrate`` is one
    ``error:`` line naming the file and pointing to ``moodtwin trial``, before any run (it
    was a pandas KeyError traceback after the simulation); in a list with a file that has
    published values it is skipped with a note."""
    from moodtwin.calibration import validate

    design = TRIALS / "designs" / "ketamine_murrough2013_six_infusions.yaml"
    for argv in (["validate", str(design)], ["calibrate", str(design)]):
        r = CliRunner().invoke(app, [*argv, "--out", str(tmp_path / "o")])
        assert r.exit_code == 2, r.output
        lines = [x for x in r.output.splitlines() if x.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), r.output
        assert "ketamine_murrough2013_six_infusions.yaml" in lines[0]
        assert "no endpoint has a 'published' value" in lines[0]
        assert "moodtwin trial" in lines[0]
        assert not (tmp_path / "o").exists()
    with pytest.raises(ValidationError, match="no endpoint has a 'published' value"):
        validate([design], replicates=1)
    r = CliRunner().invoke(app, ["validate", str(MURROUGH), str(design), "--replicates", "1",
                                 "--out", str(tmp_path / "both")])
    assert r.exit_code == 0, r.output
    assert "ketamine_murrough2013_six_infusions.yaml has no published values; skipped" \
        in r.output
