"""Model v2 mechanisms checked against the numbers their sources give."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from moodtwin.model import default_model
from moodtwin.model.mechanisms.mood import COURSE_FREQ_MAX
from moodtwin.parameter_sets import ParameterSet
from moodtwin.population import PopulationSpec, generate_population
from moodtwin.protocols import compile_protocol, load_protocol, parse_protocol
from moodtwin.simulation import SolverOptions, run_engine, simulate
from moodtwin.units import hours

MODEL = default_model()
_DESIGNS = Path(__file__).resolve().parents[1] / "examples" / "trials" / "designs"


def _obs(res, name: str) -> np.ndarray:
    return res.observables[:, :, [o.name for o in MODEL.observables].index(name)]


def _vns(current: str, pulse_width: str = "250 us") -> dict:
    # trains of 60 s every 72 s (duty 0.83) so the train-time rise can be read off the mean
    return {"name": "vns", "duration": "2 d", "therapies": [
        {"type": "vns", "implant_at": None, "start": "1 d", "current": current,
         "pulse_width": pulse_width, "on_time": "60 s", "off_time": "0.2 min"}]}


def test_norepinephrine_rise_during_vns_trains_matches_roosevelt_2006():
    """Roosevelt et al. 2006 (rat, the only measurement): cortical/hippocampal NE +28-39 %
    during 1 mA, 250 us, 20 Hz trains (not 2.4-fold). Read 6 min after switch-on (the slow LC
    gain, tau 24 h, has built <1 % of its level). Their 'no change at 0.25-0.5 mA' is not
    checked: rat fibre thresholds do not carry over to the human thresholds used here."""
    res = simulate(parse_protocol(_vns("1 mA")), save_times_h=np.array([23.9, 24.1]))
    duty = 60.0 / 72.0
    rise = (_obs(res, "norepinephrine")[0, 1] - _obs(res, "norepinephrine")[0, 0]) / duty
    assert 0.28 <= rise <= 0.39


def test_a_tavns_session_and_a_cervical_train_share_one_saturating_nts_response():
    """The NTS/LC response saturates with recruited afferent input (Hulsey et al. 2017, rat
    LC) whatever the route: a taVNS session whose auricular input equals a cervical train's
    input drives the NTS as strongly as that train does. Settings are chosen so the two
    inputs are equal: the auricular threshold equals the cervical A-fibre threshold at the
    same current, pulse width and frequency, and the auricular coupling is 1. Before round
    27 the auricular input entered the drive linearly and this check failed (with the
    shipped set, the session's drive was its input, ~0.44, against ~0.94 for the train)."""
    params = {"tavns_coupling": 1.0, "chronaxie": 180.0, "thr_A": 0.6,
              "rheobase_auricular": 0.6 / (1 + 180.0 / 250.0)}
    session = parse_protocol({"name": "s", "duration": "1 d", "therapies": [
        {"type": "tavns", "current": "0.5 mA", "pulse_width": "250 us", "frequency": "20 Hz",
         "session": "60 min", "sessions_per_day": 1, "start": "0 d",
         "first_session_at": "1 h", "duration": "1 d"}]})
    s_drive = _obs(simulate(session, params=params, save_times_h=np.array([1.5])),
                   "tavns_drive")[0, 0]
    train = simulate(parse_protocol(_vns("0.5 mA")), params=params,
                     save_times_h=np.array([30.0]))
    t_drive = _obs(train, "vns_drive")[0, 0] / (60.0 / 72.0)
    assert s_drive == pytest.approx(t_drive, rel=1e-6)
    assert 0.5 < s_drive < 1.2   # a saturating response: well above the ~0.44 input


def test_midazolam_half_life_matches_greenblatt_1984():
    """Midazolam elimination half-life 2-3 h in adults (Greenblatt et al. 1984)."""
    proto = parse_protocol({"name": "mdz", "duration": "1 d", "therapies": [
        {"type": "midazolam_iv", "at": ["0 h"]}]})
    res = simulate(proto, save_times_h=np.array([2.0, 6.0]))
    c = _obs(res, "midazolam_conc")[0]
    half_life = 4.0 * np.log(2) / np.log(c[0] / c[1])
    assert 2.0 <= half_life <= 3.0


def test_esketamine_and_ketamine_dissociate_alike():
    """Dissociation follows NMDA occupancy for both: esketamine 84 mg intranasal and racemic
    ketamine 0.5 mg/kg IV give comparable peak CADSS (~10-20 points above baseline in
    TRANSFORM-2, Popova et al. 2019, and in IV ketamine trials, e.g. Murrough et al. 2013):
    the peaks are within a factor of two."""
    t = np.linspace(0.0, 4.0, 81)
    ket = simulate(parse_protocol({"name": "k", "duration": "1 d", "therapies": [
        {"type": "ketamine_iv", "dose": "0.5 mg/kg", "at": ["0 h"]}]}), save_times_h=t)
    esk = simulate(parse_protocol({"name": "e", "duration": "1 d", "therapies": [
        {"type": "esketamine_nasal", "dose": "84 mg", "at": ["0 h"]}]}), save_times_h=t)
    ratio = _obs(esk, "dissociation").max() / _obs(ket, "dissociation").max()
    assert 0.5 <= ratio <= 2.0


def test_dissociation_wanes_over_an_esketamine_induction_as_in_transform_2() -> None:
    """Chen et al. 2022 Int J Neuropsychopharmacol 25:269 (post hoc of TRANSFORM-2): the mean
    peak CADSS decreased significantly across the eight doses, and fewer patients
    dissociated after the last dose (day 25) than after the first. With the shipped set the
    simulated peak after the last dose must be lower than after the first, and not vanish
    (dissociation is still reported after repeated doses: SUSTAIN-1 maintenance)."""
    t = np.arange(0.0, 26 * 24.0, 0.25)
    res = simulate(parse_protocol({"name": "e", "duration": "26 d", "therapies": [
        {"type": "esketamine_nasal", "dose": "56 mg", "at": ["0 d", "3 d"],
         "repeat": {"every": "1 week", "count": 4}}]}), save_times_h=t)
    diss = _obs(res, "dissociation")[0]
    first = diss[t < 6.0].max()
    last = diss[(t >= 24 * 24.0) & (t < 24 * 24.0 + 6.0)].max()
    assert 0.25 * first < last < 0.95 * first, (first, last)


def test_spontaneous_remission_of_untreated_depression_matches_whiteford_2013():
    """About 23 % of untreated major depression remits within 3 months (Whiteford et al.
    2013). Untreated patients without failed treatments, moderate severity (MADRS 22-30),
    no trial context: the fraction in remission (MADRS <= 10) at week 13 lies within the
    binomial 95 % range of 23 % for 200 patients (plus 0.05 for the model's approximations)."""
    spec = PopulationSpec.model_validate({
        "baseline": {"scale": "MADRS", "mean": 26.0, "sd": 3.0, "min": 22, "max": 30},
        "failed_treatments": {"mean": 0.0, "min": 0, "max": 0},
        "antidepressant_continued": 0.0})
    pop = generate_population(spec, 200, seed=5)
    proto = parse_protocol({"name": "untreated", "duration": "13 week"})
    tl = compile_protocol(proto, MODEL, MODEL.defaults())
    _, status, obs = run_engine(pop.model, pop.table, tl, np.array([13 * 168.0]),
                                SolverOptions(), y0=pop.y0)
    madrs = obs[status == 0, 0, [o.name for o in MODEL.observables].index("madrs")]
    remitted = float(np.mean(madrs <= 10.0))
    se = np.sqrt(0.23 * 0.77 / len(madrs))
    assert abs(remitted - 0.23) <= 1.96 * se + 0.05


def test_a_wait_list_arm_improves_as_in_the_wait_list_meta_analyses():
    """Wait-list controls of psychotherapy trials (outpatients with acute major depression,
    told they are not treated yet) improve without treatment: by 4 HAM-D points, effect size
    0.505 (95 % CI 0.271-0.739; Rutherford et al. 2012 J Psychiatr Res 46:697, 10 trials,
    340 patients), and 15 of 76 (19.7 %) improve as much as a response in antidepressant
    trials (Posternak & Miller 2001 J Affect Disord 66:139, 19 trials, 2-20 weeks). The
    natural course (spontaneous remission hazard, course drift) and regression to the mean
    from the inclusion rule must give this within the trial machinery, with no expectancy
    (belief 0: nothing is given). A 12-week wait (a brief psychotherapy's length; assumed)
    of 600 virtual patients (HAM-D17 >= 14, mean 20, no failed treatment): the change lies
    within Rutherford's CI in points (d x 4/0.505) and the response rate within the Wilson
    95 % interval of 15 of 76 (0.124-0.301). Without the natural course (remission hazard ~0,
    course_sd at its lower bound 0.02) the arm changes by -0.1 points with 0.2 % responders
    and the check fails."""
    from moodtwin.trials import parse_trial, run_trial

    trial = parse_trial({
        "name": "wait list", "n": 600, "duration": "12 week",
        "visits": ["4 week", "8 week", "12 week"], "scale": "HAMD17", "dropout": 0.0,
        "population": {"baseline": {"scale": "HAMD17", "mean": 20.0, "sd": 4.0, "min": 14,
                                    "max": 35},
                       "failed_treatments": {"mean": 0.0, "min": 0, "max": 0},
                       "antidepressant_continued": 0.0, "inclusion": {"min_score": 14}},
        "arms": [{"name": "wait", "protocol": "no_treatment"}],
        "endpoints": [{"id": "change", "type": "mean_change", "at": "12 week"},
                      {"id": "response", "type": "response_rate", "at": "12 week"}]})
    e = run_trial(trial, seed=5).endpoints.set_index("endpoint")["estimate"]
    points_per_d = 4.0 / 0.505
    assert -0.739 * points_per_d <= e["change"] <= -0.271 * points_per_d, e["change"]
    assert 0.124 <= e["response"] <= 0.301, e["response"]


def test_implanted_vns_is_presented_as_acting_gradually_from_its_switch_on():
    """VNS patients are told that it works gradually and often takes several months to notice
    (the manufacturer's patient and physician education; background mechanism), so their
    placebo relief takes the gradual onset from the switch-on (2 weeks after the surgery in
    D-01/D-02, Rush et al. 2000), not from the implantation; a ketamine infusion added later
    is presented as rapid-acting and its onset wins from then on."""
    names = [i.name for i in MODEL.inputs]
    gradual, rapid = names.index("expects_gradual"), names.index("expects_rapid")
    root = Path(__file__).parents[1] / "examples/protocols"
    vns = load_protocol(root / "vns_d01_d02_schedule.yaml")
    switch_on = hours(vns.therapies[0].start, "start")  # 2 weeks after the surgery
    tl = compile_protocol(vns, MODEL, MODEL.defaults())
    start = tl.t[:-1]  # segment k spans [t[k], t[k+1]) with inputs u[k]
    assert tl.u[start < switch_on, gradual].max() == 0.0
    assert tl.u[start >= switch_on, gradual].min() == 1.0
    assert tl.u[:, rapid].max() == 0.0
    combo = load_protocol(root / "combination_vns_ketamine.yaml")
    infusion = hours(next(th for th in combo.therapies if th.type == "ketamine_iv").at[0], "at")
    tl = compile_protocol(combo, MODEL, MODEL.defaults())
    start = tl.t[:-1]
    assert tl.u[start >= infusion, rapid].min() == 1.0
    assert tl.u[start < infusion, rapid].max() == 0.0


def test_expectancy_rises_with_the_probability_of_active_treatment():
    """Placebo response grows with the probability of receiving active treatment
    (Papakostas & Fava 2009; Rutherford et al. 2017): the same sham taVNS course improves
    more when told 'open label, active' than when blinded at 1:1, and least at 1:2."""
    base = {"name": "sham", "duration": "6 week", "therapies": [
        {"type": "tavns", "sham": True, "duration": "6 week"}]}
    change = {}
    for label, p in (("p=1/3", 1 / 3), ("p=1/2", 0.5), ("p=2/3", 2 / 3)):
        proto = parse_protocol({**base, "blinding": {"mode": "blinded", "p_active": p}})
        res = simulate(proto, save_times_h=np.array([0.0, 6 * 168.0]))
        change[label] = float(np.diff(_obs(res, "madrs")[0])[0])
    assert change["p=2/3"] < change["p=1/2"] < change["p=1/3"] < 0.0


def test_reference_patient_sits_at_the_registry_baseline() -> None:
    """The untreated reference patient of the model definition has MADRS 33, the baseline
    of the VNS registry's TRD patients (Aaronson et al. 2017: 33.1)."""
    import moodtwin
    from moodtwin.parameter_sets import ParameterSet

    proto = moodtwin.parse_protocol({"name": "none", "duration": "8 week", "therapies": []})
    r = moodtwin.simulate(proto, parameters=ParameterSet.definition(),
                          save_times_h=np.array([0.0, 1344.0]))
    assert abs(r.frame()["madrs"].iloc[-1] - 33.1) < 0.5


def _change_with_visits(visits: list[str], weeks: int) -> float:
    """HAM-D17 change at ``weeks`` of 150 virtual patients starting an oral antidepressant,
    rated at ``visits`` (the same patients for every schedule: seed 3)."""
    from moodtwin.trials import parse_trial, run_trial

    span = f"{weeks} week"
    trial = parse_trial({
        "name": "visits", "n": 150, "duration": span, "visits": visits,
        "scale": "HAMD17", "population": {"baseline": {"scale": "HAMD17", "mean": 24,
                                                       "sd": 4, "min": 18, "max": 40}},
        "arms": [{"name": "ad", "protocol": {
            "name": "new AD", "duration": span,
            "therapies": [{"type": "oral_antidepressant", "action": "start"}]}}],
        "endpoints": [{"id": "c", "type": "mean_change", "at": span}]})
    e = run_trial(trial, seed=3).endpoints
    return float(e.loc[e["endpoint"] == "c", "estimate"].iloc[0])


@pytest.mark.xfail(strict=True, reason="known model failure (README, status): with the shipped "
                   "set an extra week-3 rating visit adds 2.07 HAM-D points (the check asks "
                   "0.3-2; Posternak & Zimmerman 2007: 0.86): a rating visit sustains almost a "
                   "treatment contact's engagement (review_engagement 0.82)")
def test_an_extra_rating_visit_adds_the_published_improvement() -> None:
    """Posternak & Zimmerman 2007 Br J Psychiatry 190:287 (41 antidepressant RCTs): an extra
    follow-up visit at week 3 gave a further 0.86-point HRSD fall (a comparable effect on
    active drug). Same virtual patients starting an oral antidepressant, rated at weeks
    1, 2, 4 or at weeks 1, 2, 3, 4: HAM-D17 change at week 4 differs by 0.3-2 points."""
    extra = (_change_with_visits(["1 week", "2 week", "3 week", "4 week"], 4)
             - _change_with_visits(["1 week", "2 week", "4 week"], 4))
    assert -2.0 <= extra <= -0.3, extra


@pytest.mark.xfail(strict=True, reason="known model failure (README, status): engagement is "
                   "transient, so with the shipped set an extra week-3 visit adds 0.09 HAM-D "
                   "points by week 6 and an extra week-5 visit 1.73; freeing the per-contact "
                   "rate k_engage did not help (calibrated to 4.0/h, 90 % 1.6-7.2; round 28)")
def test_the_effect_of_rating_visits_is_cumulative() -> None:
    """Posternak & Zimmerman 2007 Br J Psychiatry 190:287: in 41 antidepressant RCTs rated
    over 6 weeks, "two additional visits were associated with twice the reduction in HRSD
    score than one": the effect of assessment visits is cumulative and proportional. Same
    virtual patients starting an oral antidepressant, rated at weeks 1, 2, 4, 6 (four
    follow-ups), with week 3 added (five) or weeks 3 and 5 added (six): the second extra visit
    adds 0.5-1.5 times what the first does."""
    four = _change_with_visits(["1 week", "2 week", "4 week", "6 week"], 6)
    five = _change_with_visits(["1 week", "2 week", "3 week", "4 week", "6 week"], 6)
    six = _change_with_visits(["1 week", "2 week", "3 week", "4 week", "5 week", "6 week"], 6)
    first, second = five - four, six - five
    assert first < 0.0 and 0.5 <= second / first <= 1.5, (first, second)


def test_control_arm_spread_one_day_after_an_infusion_matches_wilkinson_2018() -> None:
    """Wilkinson et al. 2018 Am J Psychiatry 175:150 (patient-level data of the single-dose
    ketamine trials): in the pooled saline and midazolam arms the SD of MADRS was 6.5 at
    baseline and 9.3 one day after the infusion. Not a calibration target; the spread comes
    from the day-to-day fluctuation, the rating error and the heterogeneity of the
    non-specific response. Simulated saline and midazolam arms (the pooled controls' mix is
    not reported; 1:1 here): the day-1 SD agrees by the |z| rule, with the standard error of
    an SD, SD/sqrt(2n), for the published (~180 controls, 0.49) and the simulated one (400
    patients, 0.33): within 9.3 +- 1.96*0.59 = 8.1-10.5."""
    from moodtwin.trials import parse_trial, run_trial

    trial = parse_trial({
        "name": "controls", "n": 400, "duration": "2 d", "visits": ["1 d"], "scale": "MADRS",
        "population": {"baseline": {"scale": "MADRS", "mean": 33, "sd": 6.5, "min": 20,
                                    "max": 52}, "failed_treatments": {"mean": 3.5, "min": 1,
                                                                       "max": 15}},
        "arms": [{"name": "saline", "protocol": {"name": "s", "duration": "2 d", "therapies": [
                     {"type": "saline_iv", "infusion": "40 min", "at": ["0 h"]}]}},
                 {"name": "midazolam", "protocol": {"name": "m", "duration": "2 d", "therapies": [
                     {"type": "midazolam_iv", "dose": "0.045 mg/kg", "infusion": "40 min",
                      "at": ["0 h"]}]}}],
        "endpoints": [{"id": "c", "type": "mean_change", "at": "1 d"}]})
    d = run_trial(trial, seed=4).first
    day1 = d.observed["MADRS"][:, 1]
    assert 8.1 <= float(np.nanstd(day1)) <= 10.5, float(np.nanstd(day1))


def test_course_fluctuation_has_the_increment_variance_of_an_ou_process() -> None:
    """The slow drift of the episode (mood mechanism) is built from random Fourier features of
    an Ornstein-Uhlenbeck process (Rahimi & Recht 2007): across patients drawn by the
    population model, the drive's change over a lag Δ must have variance
    2·course_sd²·(1 - E[cos(uΔ/τ)]) with u from the Lorentzian (OU) spectrum cut at
    |u| = 10 (computed here by quadrature; within 5 %). From a lag of τ on this is the OU
    value 2·course_sd²·(1 - exp(-Δ/τ)) within 4 %; at shorter lags it is smaller."""
    import pandas as pd
    import sympy as sp
    from scipy.integrate import quad

    from moodtwin.population._generate import _parameters

    n = 20000
    rng = np.random.default_rng(3)
    cand = pd.DataFrame({"sex": ["female"] * n, "age": np.full(n, 40.0),
                         "failed_treatments": np.full(n, 2)})
    table = _parameters(MODEL, cand, rng, {})
    drive = MODEL.derived_exprs["depression_drive"]
    course = [s for s in drive.free_symbols if s.name.startswith("course_")
              or s.name == "episode_clock"]
    part = sum(a for a in sp.Add.make_args(sp.expand(drive)) if a.free_symbols & {
        s for s in course if s.name.startswith(("course_freq", "course_phase"))})
    f = sp.lambdify(course, part, "numpy")
    ix = MODEL.parameter_index
    sd, tau = MODEL.parameter("course_sd").value, MODEL.parameter("course_corr_time").value

    def at(t: float) -> np.ndarray:
        return f(*[np.full(n, t) if s.name == "episode_clock" else table[:, ix[s.name]]
                   for s in course])

    assert np.allclose(at(0.0), 0.0)  # zero at the start of the protocol
    top = np.arctan(COURSE_FREQ_MAX)
    for lag in (0.25 * tau, tau, 6.0 * tau):
        mean_cos = quad(lambda u, r=lag / tau: np.cos(u * r) / (1.0 + u * u), 0.0,
                        COURSE_FREQ_MAX, limit=200)[0] / top
        expected = 2.0 * sd**2 * (1.0 - mean_cos)
        assert abs(np.var(at(lag)) / expected - 1.0) < 0.05, (lag, np.var(at(lag)), expected)
        if lag >= tau:
            ou = 2.0 * sd**2 * (1.0 - np.exp(-lag / tau))
            assert abs(expected / ou - 1.0) < 0.04


@pytest.fixture(scope="module")
def transform2():
    """One virtual TRANSFORM-2 (400 patients), shared by the checks against Turkoz et al."""
    from moodtwin.trials import load_trial, run_trial

    trial = load_trial(Path(__file__).parents[1] / "examples/trials/esketamine_transform2.yaml")
    return run_trial(trial, seed=5, n=400).first


def test_four_week_spread_of_change_matches_the_transform_trials(transform2) -> None:
    """Turkoz et al. 2022 Arch Womens Ment Health 25:313, Table 4 (TRANSFORM-1 and -2 pooled,
    by sex): SD of the MADRS change to day 28 was 13.2-14.1 on esketamine + antidepressant
    and 14.3-14.7 on antidepressant + placebo. Not a calibration target (the calibration
    sees rates and the mean difference). Simulated TRANSFORM-2 arms: SD within 10.5-17.5
    (published ± 3.5)."""
    d = transform2
    change = d.observed["MADRS"][:, -1] - d.observed["MADRS"][:, 0]
    arms = d.patients["arm"].to_numpy()
    for arm in ("esketamine", "control"):
        sd = float(np.nanstd(change[arms == arm]))
        assert 10.5 <= sd <= 17.5, (arm, sd)


def test_placebo_arm_with_a_new_antidepressant_keeps_improving_for_four_weeks(transform2):
    """Turkoz et al. 2022 Table 4 (TRANSFORM-1 and -2 pooled): antidepressant + placebo spray
    changed MADRS by -15.8 (SD 14.67, n 138, women) and -16.0 (SD 14.30, n 70, men) by day 28
    (not a calibration target: the calibration sees its rates and the difference). The
    simulated TRANSFORM-2 control arm must agree by the project's |z| rule, and its mean
    change must not shrink from day 8 to day 28 (the published arm kept improving through
    the induction, Popova et al. 2019 Fig. 2): expectancy attaches to a new course and does
    not fade within its first month."""
    d = transform2
    x = d.observed["MADRS"]
    control = d.patients["arm"].to_numpy() == "control"
    change = x[control] - x[control][:, :1]
    day8, day28 = d.visit(8 * 24.0), d.visit(28 * 24.0)
    mean28 = float(np.nanmean(change[:, day28]))
    se_sim = float(np.nanstd(change[:, day28])) / np.sqrt(np.sum(np.isfinite(change[:, day28])))
    pub, se_pub = (138 * -15.8 + 70 * -16.0) / 208, 14.55 / np.sqrt(208)
    assert abs(mean28 - pub) / np.hypot(se_pub, se_sim) <= 1.96, mean28
    assert mean28 <= float(np.nanmean(change[:, day8])), (mean28, np.nanmean(change[:, day8]))


@pytest.mark.xfail(strict=True, reason="known model failure (README, status): with the shipped "
                   "set the esketamine arm changes by -23.5 against -19.7 pooled (z 3.4; "
                   "-23.4, -23.6, -23.7, -23.6, -23.3, -23.7, -24.2, -24.5, -24.2, -24.5, -23.5, "
                   "-23.1, -22.8, -22.6 and -25.5 with the fifteen sets before): four weeks still "
                   "add too much")
def test_esketamine_arm_change_over_the_induction_matches_the_transform_trials(transform2):
    """Turkoz et al. 2022 Table 4 (TRANSFORM-1 and -2 pooled): esketamine + antidepressant
    changed MADRS by -20.3 (SD 13.19, n 215, women) and -18.3 (SD 14.08, n 95, men) by day
    28. Not a calibration target (the calibration sees this arm's rates and the difference
    from control). Repeated doses hold the synapses one dose restores rather than pile them
    up (Moda-Sava et al. 2019), so eight doses must not carry the arm far past the published
    change: the simulated TRANSFORM-2 arm agrees by the project's |z| rule."""
    d = transform2
    x = d.observed["MADRS"]
    esk = d.patients["arm"].to_numpy() == "esketamine"
    change = x[esk][:, -1] - x[esk][:, 0]
    n = np.sum(np.isfinite(change))
    se_sim = float(np.nanstd(change)) / np.sqrt(n)
    pub = (215 * -20.3 + 95 * -18.3) / 310
    se_pub = np.sqrt(215 * 13.19**2 + 95 * 14.08**2) / 310
    mean = float(np.nanmean(change))
    assert abs(mean - pub) / np.hypot(se_pub, se_sim) <= 1.96, mean


def test_open_vns_responders_improve_mostly_on_fixed_dose_as_in_the_d01_pilot() -> None:
    """Rush et al. 2000 Biol Psychiatry 47:276 (D-01, the first 30 patients, Figure 2):
    "more than half of the total reduction from 39.1 (average at baseline) to 12.3 (average
    at exit) for responders occurred over 6 of the 8 weeks of fixed-dose VNS", i.e. after
    the dose adjustment that ended 4 weeks after implantation; no patient responded in the
    2-week recovery period. Among the simulated week-12 HRSD-28 responders of the D-01 trial
    file, the reduction from week 4 to week 12 must exceed half the reduction from baseline."""
    from moodtwin.trials import load_trial, run_trial

    trial = load_trial(Path(__file__).parents[1] / "examples/trials/vns_d01_pilot.yaml")
    d = run_trial(trial, seed=7, n=400).first
    x = d.observed["HRSD28"]
    week4, week12 = d.visit(4 * 168.0), d.visit(12 * 168.0)
    responders = x[:, week12] <= 0.5 * x[:, 0]
    assert responders.sum() >= 40
    base, mid, end = (float(np.nanmean(x[responders, k])) for k in (0, week4, week12))
    assert mid - end > 0.5 * (base - end), (base, mid, end)


def test_one_esketamine_dose_gives_a_flat_dose_response_at_24_hours() -> None:
    """Daly et al. 2018 JAMA Psychiatry 75:139, Table 1 (period 1, one intranasal dose, TRD):
    MADRS change at 24 h -14.8 (SE 2.80) on 28 mg, -15.7 (2.74) on 56 mg and -16.4 (2.64) on
    84 mg, against -5.7 (1.79) on placebo: tripling the dose added 1.6 points to a specific
    effect of about 9. Simulated for the reference patient, open label so that expectancy is
    the same at every dose: the 84 mg minus 28 mg difference at 24 h agrees with -1.6 by the
    |z| rule (SE 3.85, the published arms' SEs combined)."""
    def madrs_24h(dose: str) -> float:
        res = simulate(parse_protocol({"name": "e", "duration": "2 d", "therapies": [
            {"type": "esketamine_nasal", "dose": dose, "at": ["0 h"]}]}),
            save_times_h=np.array([0.0, 24.0]))
        m = _obs(res, "madrs")[0]
        return float(m[1] - m[0])

    difference = madrs_24h("84 mg") - madrs_24h("28 mg")
    assert abs(difference - (-16.4 + 14.8)) / np.hypot(2.64, 2.80) <= 1.96, difference


def test_fast_relief_follows_the_peak_of_the_perceived_effect_not_its_duration():
    """Duration neglect: retrospective evaluations of an experience track its peak (and end),
    not its length (Redelmeier & Kahneman 1996 Pain 66:3: r = 0.03 with duration, 0.64 with
    the peak; Fredrickson & Kahneman 1993). A second, identical midazolam sedation 12 h after
    the first (same peak, twice the exposure) leaves the fast relief's peak within 15 % of
    one sedation's, while a doubled dose (deeper sedation) raises it by more than 15 %."""
    t = np.linspace(0.0, 36.0, 721)
    names = [s.name for s in MODEL.states]

    def peak_relief(dose: str, at: list[str]) -> float:
        res = simulate(parse_protocol({"name": "mdz", "duration": "2 d", "therapies": [
            {"type": "midazolam_iv", "dose": dose, "at": at}]}), save_times_h=t)
        return float(res.states[0, :, names.index("acute_relief")].max())

    one = peak_relief("0.045 mg/kg", ["0 h"])
    assert peak_relief("0.045 mg/kg", ["0 h", "12 h"]) < 1.15 * one
    assert peak_relief("0.09 mg/kg", ["0 h"]) > 1.15 * one


def test_day1_dissociation_barely_predicts_the_day2_score():
    """Mathai et al. 2023 (Psychopharmacology 240:2483; TRANSFORM-1/2 post hoc, n = 576):
    adjusted for baseline MADRS, each point of day-1 CADSS changed the day-2 MADRS by -0.04
    (95 % CI -0.08 to -0.002); Chen et al. 2022 (Int J Neuropsychopharmacol 25:320): Spearman
    r near zero in TRANSFORM-2. The same regression in a virtual esketamine arm (CADSS 40 min
    after the first 56 mg dose) must agree with the published slope by the project's rule,
    |z| <= 1.96 with both standard errors."""
    import statsmodels.api as sm

    from moodtwin.trials import parse_trial, run_trial

    data = {"name": "mathai", "n": 300, "duration": "2 d", "visits": ["40 min", "1 d"],
            "population": {"antidepressant_continued": 0.0,
                           "baseline": {"scale": "MADRS", "mean": 37.0, "sd": 5.7,
                                        "min": 28, "max": 60}},
            "arms": [{"name": "esketamine", "protocol": "esketamine_twice_weekly.yaml"}],
            "endpoints": [{"id": "cadss", "type": "biomarker_change", "measure": "cadss",
                           "at": "40 min"}]}
    protocols = Path(__file__).parents[1] / "examples/protocols"
    d = run_trial(parse_trial(data, protocols), seed=3).first
    madrs = d.observed["MADRS"]
    cadss = d.observable("cadss")[:, d.visit(40 / 60)]
    x = sm.add_constant(np.column_stack([madrs[:, 0], cadss]))
    fit = sm.OLS(madrs[:, d.visit(24.0)], x, missing="drop").fit()
    se_pub = (0.08 - 0.002) / (2 * 1.96)
    z = (fit.params[2] - (-0.04)) / np.hypot(se_pub, fit.bse[2])
    assert np.nanstd(cadss) > 1.0  # patients do differ in dissociation
    assert abs(z) <= 1.96, (fit.params[2], fit.bse[2])


@pytest.fixture(scope="module")
def daly2018():
    """One virtual Daly 2018 period 1 (600 patients, 3:1:1:1 placebo:28:56:84 mg) and its
    24-h MADRS changes per arm."""
    from moodtwin.trials import load_trial, run_trial

    path = _DESIGNS / "esketamine_daly2018_stable_ad.yaml"
    d = run_trial(load_trial(path), seed=6, n=600).first
    x = d.observed["MADRS"]
    change = x[:, d.visit(24.0)] - x[:, 0]
    arms = d.patients["arm"].to_numpy()
    return {arm: change[arms == arm] for arm in np.unique(arms)}


def _se(x: np.ndarray) -> float:
    return float(np.nanstd(x) / np.sqrt(np.sum(np.isfinite(x))))


def test_esketamine_separates_from_a_blinded_spray_alone_as_in_daly_2018(daly2018) -> None:
    """Daly et al. 2018 JAMA Psychiatry 75:139, Table 1 (period 1, TRD on their ongoing
    antidepressant, nothing new started): LS mean difference of the 24-h MADRS change,
    esketamine 56 mg minus placebo spray, -10.0 (SE 3.00). Not a calibration target; the
    same drug separated by 4.0 at day 28 when both arms started a new antidepressant
    (TRANSFORM-2, a target). The simulated difference agrees by the |z| rule."""
    esk, pbo = daly2018["esketamine_56mg"], daly2018["placebo"]
    diff = float(np.nanmean(esk) - np.nanmean(pbo))
    assert abs(diff - (-10.0)) / np.hypot(3.00, np.hypot(_se(esk), _se(pbo))) <= 1.96, diff


@pytest.mark.xfail(strict=True, reason="known model failure (README, Daly 2018 design and "
                   "status): with the shipped set the placebo spray arm changes by -2.09 MADRS "
                   "at 24 h against -5.7 (z 1.98; -2.09 with round 32's set, -2.10 with "
                   "round 30's, -2.12 with round 29's, -2.09 with round 27's, -2.08 with "
                   "round 26's, -2.10 with round 25's; -2.3 and z 1.89 with round 24's, "
                   "which passed): the first day after a blinded dose is too quiet")
def test_a_blinded_placebo_spray_alone_improves_within_a_day_as_in_daly_2018(daly2018) -> None:
    """Daly et al. 2018 Table 1 (period 1): placebo spray on the ongoing antidepressant changed
    MADRS by -5.7 (SE 1.79, n 33) at 24 h. Not a calibration target (the calibration sees the
    24-h response rates of saline and midazolam arms, Wilkinson et al. 2019). The simulated
    placebo arm must agree by the |z| rule."""
    pbo = daly2018["placebo"]
    mean = float(np.nanmean(pbo))
    assert abs(mean - (-5.7)) / np.hypot(1.79, _se(pbo)) <= 1.96, mean


@pytest.mark.xfail(strict=True, reason="known model failure (README, status): with the shipped "
                   "set the patients with 7 or fewer failed trials respond at 19.5 % (the check "
                   "asks 25-55 %; published 39.1 %), those with more at 14.4 % (< 24.7 %, "
                   "passes): the gradient is too shallow and the open pilot's response too low")
def test_vns_response_falls_with_treatment_resistance_as_in_sackeim_2001() -> None:
    """Sackeim et al. 2001 Neuropsychopharmacology 25:713 (open VNS pilot, 59 completers,
    HRSD-28 response after 10 weeks of stimulation): none of the 13 patients who had failed
    more than 7 adequate antidepressant trials in the current episode responded (95 % upper
    bound 24.7 %), against 39.1 % (18/46, 95 % CI 25-55 %) of the others. The simulated D-01
    design with that spread of failed treatments (Poisson mean 5.5: ~1 in 5 above 7) must put
    the >7 group under 24.7 % and the others inside 25-55 %, with the >7 group lower."""
    import yaml

    from moodtwin.trials import parse_trial, run_trial

    path = Path(__file__).parents[1] / "examples/trials/vns_d01_pilot.yaml"
    data = yaml.safe_load(path.read_text())
    data["population"]["failed_treatments"] = {"mean": 5.5, "min": 2, "max": 15}
    # the pilot file's own (weekly) rating visits of the acute phase
    acute = [v for v in data["visits"] if hours(v, "visits") <= hours("12 week", "duration")]
    data.update(n=600, duration="12 week", visits=acute, dropout=0.0)
    data["endpoints"] = [
        {"id": k, "type": "response_rate", "at": "12 week",
         "subgroup": {"covariate": "failed_treatments", **bound}}
        for k, bound in (("over7", {"min": 8}), ("upto7", {"max": 7}))]
    e = run_trial(parse_trial(data, path.parent), seed=11).endpoints
    over7, upto7 = (float(e.loc[e["endpoint"] == k, "estimate"].iloc[0])
                    for k in ("over7", "upto7"))
    assert over7 < 0.247, (over7, upto7)
    assert 0.25 <= upto7 <= 0.55, (over7, upto7)
    assert over7 < upto7, (over7, upto7)


def test_response_to_a_new_antidepressant_falls_with_failed_treatments_as_in_star_d() -> None:
    """STAR*D (Rush et al. 2006 Am J Psychiatry 163:1905, open-label, about 12 weeks per step,
    QIDS-SR16 response): 48.6 % of 2,876 patients responded to the first antidepressant
    (no failed treatment in the episode) and 16.8 % of 390 at the third step (two failed).
    The same open-label course of a newly started oral antidepressant in virtual patients
    with 0 and with 2 failed treatments (QIDS-SR16, level-1 baseline ~16) must give each
    step's response within its binomial 95 % range plus 0.05 for the model's approximations
    (the mix of switch and augmentation at step 3 is one new antidepressant here)."""
    from moodtwin.trials import parse_trial, run_trial

    rates = {}
    for failed in (0, 2):
        e = run_trial(parse_trial({
            "name": f"new antidepressant after {failed} failures", "n": 400,
            "duration": "12 week", "visits": ["2 week", "4 week", "6 week", "9 week", "12 week"],
            "scale": "QIDS16",
            "population": {"baseline": {"scale": "QIDS16", "mean": 16.0, "sd": 4.0,
                                        "min": 10, "max": 27},
                           "failed_treatments": {"mean": failed, "min": failed, "max": failed},
                           "antidepressant_continued": 0.0},
            "arms": [{"name": "ssri", "protocol": {
                "name": "new oral antidepressant", "duration": "12 week",
                "therapies": [{"type": "oral_antidepressant", "action": "start",
                               "at": ["0 d"]}]}}],
            "endpoints": [{"id": "response", "type": "response_rate", "at": "12 week"}]}),
            seed=3).endpoints
        rates[failed] = float(e["estimate"].iloc[0])
    for failed, (published, n) in {0: (0.486, 2876), 2: (0.168, 390)}.items():
        se = np.hypot(np.sqrt(published * (1 - published) / n),
                      np.sqrt(rates[failed] * (1 - rates[failed]) / 400))
        assert abs(rates[failed] - published) <= 1.96 * se + 0.05, rates
    assert rates[2] < rates[0], rates


def test_an_oral_antidepressant_beats_placebo_by_the_fda_trials_difference() -> None:
    """Stone et al. 2022 BMJ 378:e067606 (232 placebo-controlled monotherapy trials submitted
    to the FDA, 73,388 participants): drug minus placebo 1.75 HAMD-17 points (95 % CI
    1.63-1.86). The shipped set was conditioned on it (calibration/_sources.py, seed 5); on an
    independent Monte-Carlo realization (seed 11) the same virtual trial must land within the
    published interval widened by 0.35 points for the realization's noise (800 patients,
    common random numbers between the arms: SD of the paired difference ~0.15 points)."""
    from moodtwin.calibration._sources import antidepressant_minus_placebo

    d = antidepressant_minus_placebo(ParameterSet.calibrated(), seed=11)
    assert 1.63 - 0.35 <= d <= 1.86 + 0.35, d


@functools.lru_cache(maxsize=1)
def _first_esketamine_dose() -> tuple[float, float]:
    """Esketamine 84 mg minus placebo spray at 4 h and 24 h with the shipped set (seed 5)."""
    from moodtwin.calibration._sources import esketamine_first_dose

    return esketamine_first_dose(ParameterSet.calibrated(), n=1200, seed=5)


def test_first_esketamine_dose_separates_at_24h_as_in_an_2021() -> None:
    """An et al. 2021 Front Psychol 12:648691 (meta-analysis of intranasal esketamine and
    ketamine RCTs, 858 patients): MADRS lower than placebo by 9.96 points (95 % CI
    8.97-10.95) at 24 h. Widened by twice the Monte-Carlo SD of the simulated difference
    (about 0.3 points between seeds at 1,200 patients). Independent of the conditioning of
    ``w_lhb`` on the same source's 2-4 h difference (below)."""
    from moodtwin.calibration._sources import AN_2021

    _, d24 = _first_esketamine_dose()
    low, high = AN_2021["day1_ci"]
    assert low - 0.6 <= d24 <= high + 0.6, d24


def test_first_esketamine_dose_separates_within_hours_as_in_an_2021() -> None:
    """An et al. 2021 (above): 6.16 MADRS points (95 % CI 4.44-7.88) at 2-4 h. ``w_lhb`` is
    conditioned on this number (``calibration._sources.condition_w_lhb``), so this guards
    that the shipped set keeps it after each recalibration; the time course it implies at
    24 h is the independent check above."""
    from moodtwin.calibration._sources import AN_2021

    d4, _ = _first_esketamine_dose()
    low, high = AN_2021["early_ci"]
    assert low <= d4 <= high, d4


def _ketamine_infusion_course() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times (h), plasma ketamine (ng/mL) and trapped habenular block after 0.5 mg/kg IV
    ketamine over 40 min in the reference patient."""
    from moodtwin import parse_protocol, simulate

    t = np.linspace(0.0, 48.0, 193)
    r = simulate(parse_protocol({"name": "one infusion", "duration": "3 d", "therapies": [
        {"type": "ketamine_iv", "at": ["0 d"], "dose": "0.5 mg/kg"}]}), save_times_h=t)
    block = np.asarray(r.states)[0][:, r.model.state_index["lhb_block"]]
    return t, r.frame()["ketamine_conc"].to_numpy(), block


def test_ketamine_blocks_the_habenula_within_the_hour_as_in_yang_2018() -> None:
    """Yang et al. 2018 Nature 554:317: ketamine blocked NMDA-dependent bursting of lateral
    habenula neurons within minutes and relieved depression-like behaviour within an hour.
    Here: half the peak trapped block is reached within 1 h of the infusion's start."""
    t, _, block = _ketamine_infusion_course()
    assert np.interp(1.0, t, block) >= 0.5 * block.max(), np.interp(1.0, t, block)


def test_trapped_habenular_block_outlasts_the_drug_as_in_ma_2023() -> None:
    """Ma et al. 2023 Nature 622:802: after one injection ketamine kept lateral habenula NMDA
    receptors blocked for up to 24 h, long after it had left the plasma (use-dependent
    trapping). Here: at 24 h plasma ketamine is below 2 % of its peak while at least a tenth
    of the peak block remains."""
    t, conc, block = _ketamine_infusion_course()
    i24 = int(np.searchsorted(t, 24.0))
    assert conc[i24] < 0.02 * conc.max(), conc[i24] / conc.max()
    assert block[i24] >= 0.1 * block.max(), block[i24] / block.max()


@pytest.mark.xfail(strict=True, reason="known model failure (README, round 43): with the "
                   "shipped set one ketamine infusion is still clearly better than placebo at "
                   "day 11 (g 0.74 against below 0.45; day 1 g 1.14 passes): restored synapses "
                   "last too long after one dose; a faster loss breaks maintenance dosing")
def test_one_ketamine_infusion_loses_its_superiority_by_day_11_as_in_kishimoto_2016() -> None:
    """Kishimoto et al. 2016 Psychol Med 46:1459 (9 RCTs of one IV ketamine infusion against
    placebo or pseudo-placebo): Hedges' g -1.00 (95 % CI -1.28 to -0.73) at day 1, superiority
    lost by days 10-12 (not significant at day 11: g below 0.45, calibration/_sources.py).
    1,200 virtual patients (seed 13; the day-11 g varies by about 0.06 between seeds): day 1
    must lie in the published interval and day 11 below that bound plus two such SDs."""
    from moodtwin.calibration._sources import KISHIMOTO_2016, ketamine_durability

    g1, g11 = ketamine_durability(ParameterSet.calibrated(), n=1200, seed=13)
    low, high = KISHIMOTO_2016["peak_ci"]
    assert low <= g1 <= high, g1
    assert g11 < KISHIMOTO_2016["lost_below"] + 0.12, g11


@functools.lru_cache(maxsize=1)
def _comparator_vs_placebo_controlled() -> dict[str, float]:
    """Response and remission of the same 1,600 virtual patients (common random numbers) on
    a double-blind newly started antidepressant for 8 weeks, told p = 0.5 (a 1:1
    placebo-controlled trial) or p = 1 (a comparator trial: every arm active), with blinded
    raters: odds ratio comparator / placebo-controlled."""
    import math

    from moodtwin.trials import parse_trial, run_trial

    rates = {}
    for p in (0.5, 1.0):
        trial = parse_trial({
            "name": f"new antidepressant, p(active) {p}", "n": 1600, "duration": "8 week",
            "visits": [f"{w} week" for w in (1, 2, 3, 4, 6, 8)], "scale": "HRSD17",
            "raters": "blinded",
            "population": {"baseline": {"scale": "HRSD17", "mean": 25.0, "sd": 4.0, "min": 18,
                                        "max": 40},
                           "failed_treatments": {"mean": 0.5, "min": 0, "max": 2},
                           "antidepressant_continued": 0.0},
            "arms": [{"name": "drug", "protocol": {
                "name": "double-blind antidepressant", "duration": "8 week",
                "blinding": {"mode": "blinded", "p_active": p},
                "therapies": [{"type": "oral_antidepressant", "blinded": True}]}}],
            "endpoints": [{"id": "response", "type": "response_rate", "at": "8 week"},
                          {"id": "remission", "type": "remission_rate", "at": "8 week"}]})
        rates[p] = run_trial(trial, seed=5).endpoints.set_index("endpoint")["estimate"]

    def logit(x: float) -> float:
        return math.log(x / (1.0 - x))

    return {k: math.exp(logit(rates[1.0][k]) - logit(rates[0.5][k]))
            for k in ("response", "remission")}


def test_remission_on_a_drug_is_higher_in_comparator_trials_as_in_rutherford_2009() -> None:
    """Rutherford, Sneed & Roose 2009 Psychother Psychosom 78:172 (90 antidepressant RCTs
    in adult outpatients, 6-12 weeks): the odds of remission on the antidepressant were
    higher in comparator than in placebo-controlled trials, OR 1.53 (95 % CI 1.11-2.11).
    Under common random numbers the Monte-Carlo error of the simulated OR is a few percent,
    small against that interval."""
    odds = _comparator_vs_placebo_controlled()
    assert 1.11 <= odds["remission"] <= 2.11, odds


@pytest.mark.xfail(strict=True, reason="known model failure (README, round 42): the odds "
                   "ratio of response comparator / placebo-controlled is 1.38 against 1.79 "
                   "(95 % CI 1.45-2.17): believing the drug active adds a little too little "
                   "to a newly started antidepressant's response")
def test_response_on_a_drug_is_higher_in_comparator_trials_as_in_rutherford_2009() -> None:
    """Rutherford, Sneed & Roose 2009 (above): response OR 1.79 (95 % CI 1.45-2.17),
    comparator over placebo-controlled trials."""
    odds = _comparator_vs_placebo_controlled()
    assert 1.45 <= odds["response"] <= 2.17, odds


def _design_summary(name: str, n: int):
    from moodtwin.trials import run_trial

    return run_trial(_DESIGNS / name, seed=3, n=n, ensemble=False).summary().set_index(
        ["endpoint", "arm"])["mean"]


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="known model failure (README, status; round 49 probe "
                   "benchmarks/calibration/s49/probe.md): the routes add up, so six open "
                   "infusions respond 93 % where 17 of 24 did; neither a refractory class "
                   "(round 48) nor a calibrated ceiling on combined relief (round 49) passed "
                   "the calibration set's ship rule")
def test_six_open_ketamine_infusions_respond_as_in_murrough_2013() -> None:
    """Murrough et al. 2013 Biol Psychiatry 74:250 (24 medication-free TRD patients, racemic
    ketamine 0.5 mg/kg Mon/Wed/Fri for two weeks, open label): 17 of 24 (70.8 %) responded
    after the sixth infusion; Wilson 95 % interval 0.51-0.85. 300 virtual patients in the
    design example (binomial SD of the simulated rate about 0.03) must land inside it."""
    rate = _design_summary("ketamine_murrough2013_six_infusions.yaml", 300)[
        ("response_after_six", "ketamine")]
    assert 0.508 <= rate <= 0.851, rate


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="known model failure (README, status; round 49 probe): "
                   "eight twice-weekly infusions separate from midazolam by about -9 MADRS "
                   "points and respond about 89 % against 46.9 % published")
def test_repeated_ketamine_barely_beats_midazolam_as_in_karma_dep_2() -> None:
    """Jelovac et al. 2025 JAMA Psychiatry (KARMA-Dep 2, 62 inpatients analysed, up to eight
    twice-weekly infusions of ketamine 0.5 mg/kg or midazolam 0.045 mg/kg with usual care):
    end-of-treatment MADRS difference -3.16 (95 % CI -8.54 to 2.22); response 46.9 % against
    33.3 %. 300 virtual patients per arm of the design example: the difference must lie in
    the published interval and the ketamine arm's response within its binomial 95 % range
    (about 0.30-0.64 for 15 of 32)."""
    s = _design_summary("ketamine_karma_dep2_inpatients.yaml", 300)
    diff = s[("difference_end_of_treatment", "ketamine vs midazolam")]
    response = s[("response_end_of_treatment", "ketamine")]
    assert -8.54 <= diff <= 2.22, diff
    assert 0.30 <= response <= 0.64, response


@pytest.mark.parametrize("specific, nonspecific", [(1.2, 0.8), (0.3, 1.5), (-0.5, 0.9)])
def test_specific_and_non_specific_relief_combine_by_the_fulfilment_share(
        specific: float, nonspecific: float) -> None:
    """The drive falls by the sum of the two reliefs less ``fulfilment`` times the smaller:
    at 0 they add, at 1 only the larger acts (response expectancy, Kirsch 1985). A specific
    change that worsens the drive (negative) fulfils no expectancy and stays additive."""
    import sympy as sp

    drive = MODEL.derived_exprs["depression_drive"]
    names = ("specific_relief", "nonspecific_relief", "fulfilment")
    symbols = {s.name: s for s in drive.free_symbols}
    rest = {s: 0.0 for s in drive.free_symbols if s.name not in names}
    rest[symbols["mood_memory"]] = 0.5  # the memory term's neutral point
    rest[symbols["course_width"]] = rest[symbols["course_corr_time"]] = 1.0  # no 0/0
    f = sp.lambdify([symbols[n] for n in names], drive.subs(rest), "numpy")
    assert f(specific, nonspecific, 0.0) == pytest.approx(-(specific + nonspecific), abs=0.01)
    larger = max(specific, 0.0) + nonspecific - min(max(specific, 0.0), nonspecific)
    expected_full = -(larger + min(specific, 0.0))
    assert f(specific, nonspecific, 1.0) == pytest.approx(expected_full, abs=0.01)
    half = f(specific, nonspecific, 0.5)
    assert f(specific, nonspecific, 0.0) <= half <= f(specific, nonspecific, 1.0)
