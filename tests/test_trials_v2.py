"""Trial files v2: designs, analyses, endpoints and their one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodtwin.errors import ValidationError
from moodtwin.trials import load_trial, parse_trial, run_trial
from moodtwin.trials._report import _bands

ROOT = Path(__file__).resolve().parents[1]
TRIALS = ROOT / "examples" / "trials"
PROTOCOLS = ROOT / "examples" / "protocols"


def _trial(**over: object) -> dict:
    base = {
        "name": "test", "n": 30, "duration": "7 d", "visits": ["1 d", "7 d"],
        "population": {"antidepressant_continued": 0.0},
        "arms": [{"name": "ketamine", "protocol": "ketamine_single_iv.yaml"},
                 {"name": "midazolam", "protocol": "midazolam_active_placebo.yaml"}],
        "endpoints": [{"type": "response_rate", "at": "1 d"}],
    }
    base.update(over)
    return base


def test_responder_bars_of_one_replicate_are_wilson_within_0_100() -> None:
    res = run_trial(parse_trial(_trial(), PROTOCOLS), seed=3)
    b = _bands(res, "response")
    assert ((b["low"] >= 0) & (b["high"] <= 1) & (b["low"] <= b["mean"])
            & (b["mean"] <= b["high"])).all()


def test_measurement_before_the_first_session_is_rejected() -> None:
    late = {"name": "late", "duration": "1 d", "therapies": [
        {"type": "tavns", "sessions_per_day": 1, "duration": "1 d", "session": "30 min"}]}
    data = _trial(duration="1 d", visits=["0.5 h", "2 h"],
                  arms=[{"name": "tavns", "protocol": late}],
                  endpoints=[{"type": "mean_change", "at": "0.5 h"}])
    with pytest.raises(ValidationError, match="before arm 'tavns''s first exposure"):
        parse_trial(data, PROTOCOLS)
    early = {**late, "therapies": [{**late["therapies"][0], "first_session_at": "0 h"}]}
    parse_trial({**data, "arms": [{"name": "tavns", "protocol": early}]}, PROTOCOLS)
    bad = {**late, "therapies": [{**late["therapies"][0], "first_session_at": "30 h"}]}
    with pytest.raises(ValidationError, match="first_session_at"):
        parse_trial({**data, "arms": [{"name": "tavns", "protocol": bad}]}, PROTOCOLS)


def test_wolf2021_hrv_is_read_during_and_after_the_session() -> None:
    trial = load_trial(TRIALS / "tavns_wolf2021_hrv.yaml")
    tavns = trial.arms[0].periods[0].protocol.therapies[0]
    assert tavns.session_starts_h(24.0) == [0.0]


def _analyses_trial() -> dict:
    return _trial(
        duration="8 week", visits={"every": "1 week"}, n=60, dropout=0.3,
        arms=[{"name": "ketamine", "protocol": "ketamine_repeated_iv.yaml"},
              {"name": "untreated", "protocol": "no_treatment.yaml"}],
        pools={"everyone": ["ketamine", "untreated"]},
        biomarker_noise={"bdnf_serum_ngml": 0.1},
        endpoints=[
            {"id": "resp_oc", "type": "response_rate", "at": "2 week", "missing": "observed"},
            {"id": "resp_nri", "type": "response_rate", "at": "2 week",
             "missing": "non_responder"},
            {"id": "change_mmrm", "type": "mean_change", "at": "2 week", "missing": "mmrm"},
            {"id": "diff_mmrm", "type": "difference", "of": "mean_change", "at": "2 week",
             "missing": "mmrm", "arms": ["ketamine", "untreated"]},
            {"id": "loss", "type": "median_time_to_relapse", "arms": ["ketamine"],
             "relapse": {"improvement_below": 50, "confirm": 2,
                         "origin": "first_response"}},
            {"id": "loss_by4", "type": "proportion_relapsed", "by": "4 week",
             "arms": ["ketamine"], "relapse": {"improvement_below": 50, "confirm": 2,
                                               "origin": "first_response"}},
            {"id": "female", "type": "response_rate", "at": "2 week", "missing": "observed",
             "arms": ["ketamine"], "subgroup": {"covariate": "sex", "equals": "female"}},
            {"id": "severe", "type": "mean_change", "at": "2 week", "missing": "observed",
             "arms": ["ketamine"], "subgroup": {"covariate": "baseline", "min": 30}},
            {"id": "r_bdnf", "type": "correlation", "measure": "bdnf_serum_ngml",
             "of": "percent_change", "at": "2 week", "arms": ["ketamine"]},
            {"id": "pooled", "type": "mean_change", "at": "2 week", "missing": "observed",
             "arms": ["everyone", "ketamine", "untreated"]},
            {"id": "tir", "type": "difference", "of": "time_in_response",
             "window_start": "1 week", "at": "4 week", "arms": ["ketamine", "untreated"]}])


def test_analyses_and_endpoints_follow_their_definitions() -> None:
    res = run_trial(parse_trial(_analyses_trial(), PROTOCOLS), seed=4)
    d = res.first
    s = res.summary().set_index(["endpoint", "arm"])
    p = d.patients
    x = d.observed["MADRS"]
    k = d.visit(14 * 24.0)
    ket = (p.arm == "ketamine").to_numpy() & (p.status == 0).to_numpy()
    resp = x[:, k] <= 0.5 * x[:, 0]
    seen = np.isfinite(x[:, k])
    assert 0 < (~seen[ket]).sum()  # dropout happened
    assert s.loc[("resp_oc", "ketamine"), "mean"] == pytest.approx(resp[ket & seen].mean())
    assert s.loc[("resp_nri", "ketamine"), "mean"] == pytest.approx(
        (resp & seen)[ket].sum() / ket.sum())
    fem = ket & (p.sex == "female").to_numpy() & seen
    assert s.loc[("female", "ketamine"), "mean"] == pytest.approx(resp[fem].mean())
    sev = ket & (x[:, 0] >= 30) & seen
    assert s.loc[("severe", "ketamine"), "mean"] == pytest.approx(
        (x[sev, k] - x[sev, 0]).mean())
    n = s.xs("pooled", level=0)["n"]
    assert n["everyone"] == n["ketamine"] + n["untreated"]
    assert -1 <= s.loc[("r_bdnf", "ketamine"), "mean"] <= 1
    mm = s.loc[("change_mmrm", "ketamine"), "mean"]
    assert mm == pytest.approx(np.nanmean(x[ket, k] - x[ket, 0]), abs=3.0)
    assert s.loc[("diff_mmrm", "ketamine vs untreated"), "mean"] < 0
    assert s.loc[("tir", "ketamine vs untreated"), "mean"] > 0
    assert 0 <= s.loc[("loss_by4", "ketamine"), "mean"] <= 1


def test_relapse_timed_from_a_visit_among_its_responders() -> None:
    """``origin: 2 week`` with a subgroup of responders at week 2: each responder is at risk
    from that visit; a relapse is two consecutive visits below 50 % improvement, dated at
    the first; the others are censored at their last observed visit. The median is the
    Kaplan-Meier median of times computed here visit by visit."""
    from lifelines import KaplanMeierFitter

    trial = parse_trial(_trial(
        duration="8 week", visits={"every": "1 week"}, n=80, dropout=0.2,
        arms=[{"name": "ketamine", "protocol": "ketamine_repeated_iv.yaml"}],
        endpoints=[{"id": "after", "type": "median_time_to_relapse", "arms": ["ketamine"],
                    "relapse": {"improvement_below": 50, "confirm": 2, "origin": "2 week"},
                    "subgroup": {"covariate": "response", "equals": "responder",
                                 "at": "2 week"}}]), PROTOCOLS)
    res = run_trial(trial, seed=8)
    d = res.first
    x = d.observed["MADRS"][(d.patients.status == 0).to_numpy()]  # analysed patients
    days = d.visit_h / 24.0
    k0 = d.visit(14 * 24.0)
    times, events = [], []
    for row in x[x[:, k0] <= 0.5 * x[:, 0]]:  # responders at week 2 (NaN: not)
        low = row > 0.5 * row[0]  # improvement below 50 %
        seen = [j for j in range(k0 + 1, row.size) if np.isfinite(row[j])]
        if not seen:
            continue
        first = next((a for a, b in zip(seen[:-1], seen[1:], strict=True) if low[a] and low[b]),
                     None)
        times.append(days[seen[-1] if first is None else first] - days[k0])
        events.append(first is not None)
    assert 0 < sum(events) < len(events)
    expected = KaplanMeierFitter().fit(times, events).median_survival_time_
    row = res.summary().set_index("endpoint").loc["after"]
    assert row["mean"] == pytest.approx(expected)


def _ep(**kw: object) -> dict:
    return {"endpoints": [{"type": "response_rate", "at": "1 d", **kw}]}


@pytest.mark.parametrize("change, message", [
    (_ep(missing="carry"), r"endpoints\.0\.missing: .*'locf', 'observed', 'non_responder'"),
    (_ep(type="mean_change", missing="non_responder"), "'non_responder' imputes rates"),
    (_ep(missing="mmrm"), "'mmrm' estimates mean changes"),
    (_ep(type="median_time_to_relapse"), "needs 'relapse'"),
    (_ep(type="median_time_to_relapse", relapse={"confirm": 2}),
     "relapse: give 'score'"),
    (_ep(type="median_time_to_relapse", relapse={"score": 22, "confirm": 0}),
     r"relapse\.confirm: .*greater than or equal to 1"),
    (_ep(type="median_time_to_relapse", relapse={"score": 22, "origin": "week 2"}),
     r"relapse\.origin: 'week 2' is not 'arm_start' or 'first_response' or a visit time"),
    (_ep(type="median_time_to_relapse", relapse={"score": 22, "origin": "first_responce"}),
     r"relapse\.origin: .*\(did you mean 'first_response'\?\)"),
    (_ep(type="median_time_to_relapse", relapse={"score": 22, "origin": "3 d"}),
     r"relapse\.origin '3 d' is not a visit; visits are at 0 d, 1 d, 7 d"),
    (_ep(type="median_time_to_relapse", relapse={"improvement_below": 140}),
     r"relapse\.improvement_below: .*less than or equal to 100"),
    (_ep(type="median_time_to_relapse", relapse={"score": 22, "reference": "peak"}),
     r"relapse\.reference"),
    (_ep(type="proportion_relapsed", relapse={"score": 22}), "'by'"),
    (_ep(by="1 d"), "'by'"),
    (_ep(type="median_time_to_relapse", relapse_score=20, relapse={"score": 22}),
     "not both"),
    (_ep(subgroup={"covariate": "height", "min": 1}), r"subgroup\.covariate"),
    (_ep(subgroup={"covariate": "sex", "equals": "f"}), r"subgroup\.equals: 'f'"),
    (_ep(subgroup={"covariate": "age"}), "give 'min' and/or 'max'"),
    # YAML's true/yes and bare numbers are not group names (was pydantic's "valid string")
    (_ep(subgroup={"covariate": "response", "equals": True, "at": "1 d"}),
     r"subgroup\.equals: True for 'response' is not a group's name; allowed: responder, "
     "non_responder"),
    (_ep(subgroup={"covariate": "age", "equals": 40}),
     r"subgroup\.equals: 40 for 'age' is not a group's name; give 'min' and/or 'max'"),
    (_ep(subgroup={"covariate": "response", "equals": "responder"}), r"subgroup\.at"),
    (_ep(subgroup={"covariate": "response", "equals": "responder", "at": "2 d"}),
     "subgroup.at '2 d' is not a visit"),
    (_ep(type="correlation", measure="bdnf_serum_ngml"), "'of: mean_change'"),
    (_ep(type="correlation", measure="mood", of="mean_change"), "measure 'mood'"),
    (_ep(type="correlation", measure="rmssd", of="mean_change", method="kendall"),
     r"method: .*'pearson' or 'spearman'"),
    (_ep(window_start="1 d"), "window_start: applies to time_in_response"),
    (_ep(type="time_in_response", window_start="1 d"), "must be before 'at'"),
    ({"pools": {"all": ["ketamine"]}}, r"pools\.all: give two or more arms"),
    ({"pools": {"all": ["ketamine", "nobody"]}}, r"pools\.all: give two or more arms"),
    ({"pools": {"ketamine": ["ketamine", "midazolam"]}}, "already an arm's name"),
])
def test_bad_new_fields_give_one_line_errors(change: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        parse_trial(_trial(**change), PROTOCOLS)
    assert "\n" not in str(err.value)


def test_relapse_prevention_with_stable_remission_and_own_schedules() -> None:
    data = _trial(
        duration="8 week", visits={"every": "1 week"}, n=80,
        arms=[{"name": "ketamine", "protocol": "ketamine_repeated_iv.yaml"},
              {"name": "cohort", "n": 30, "protocol": "ketamine_repeated_iv.yaml"}],
        withdrawal={"at": "4 week", "criterion": "remission", "threshold": 14,
                    "persistence": {"k": 2, "of_last": 3}, "arms": [
                        {"name": "continue", "protocol": "ketamine_repeated_iv.yaml",
                         "visits": {"every": "2 week", "start": "6 week"}},
                        {"name": "stop", "protocol": "no_treatment.yaml"}]},
        endpoints=[{"id": "relapse", "type": "hazard_ratio", "arms": ["continue", "stop"],
                    "relapse": {"score": 22, "confirm": 2, "severe_score": 40}},
                   {"id": "from_cohort", "type": "mean_score", "at": "8 week",
                    "arms": ["continue"], "subgroup": {"covariate": "arm", "equals": "cohort"}}])
    trial = parse_trial(data, PROTOCOLS)
    d = run_trial(trial, seed=6).first
    x, p = d.observed["MADRS"], d.patients
    k = d.visit(4 * 7 * 24.0)
    entered = (p.withdrawal_arm != "").to_numpy()
    assert entered.any() and (~entered).any()
    stable = ((x[:, k - 2: k + 1] <= 14).sum(axis=1) >= 2)
    np.testing.assert_array_equal(entered, stable & (p.status == 0).to_numpy())
    for first in ("ketamine", "cohort"):  # stratified: each first arm split about evenly
        split = p.loc[entered & (p.arm == first).to_numpy(), "withdrawal_arm"].value_counts()
        assert abs(split.get("continue", 0) - split.get("stop", 0)) <= 1
    cont = (p.withdrawal_arm == "continue").to_numpy()
    weekly = np.isfinite(x[cont][:, d.visit(7 * 7 * 24.0)])
    assert not weekly.any()  # 'continue' is rated every 2 weeks from week 6
    assert np.isfinite(x[cont][:, d.visit(8 * 7 * 24.0)]).any()


def _session(sham: bool) -> dict:
    return {"name": "sham" if sham else "active", "duration": "1 d", "therapies": [
        {"type": "tavns", "sessions_per_day": 1, "duration": "1 d", "session": "30 min",
         "first_session_at": "0 h", "sham": sham}]}


def test_crossover_within_subject_contrast_and_period_baseline() -> None:
    data = _trial(
        duration="2 d", visits=["0.5 h", "1 d", "24.5 h", "2 d"], n=24,
        biomarker_noise={"rmssd": 0.05},
        arms=[{"name": "AB", "periods": [
                  {"protocol": _session(False), "until": "1 d", "label": "active"},
                  {"protocol": _session(True), "label": "sham"}]},
              {"name": "BA", "periods": [
                  {"protocol": _session(True), "until": "1 d", "label": "sham"},
                  {"protocol": _session(False), "label": "active"}]}],
        endpoints=[{"id": "hrv", "type": "within_difference", "of": "biomarker_change",
                    "measure": "rmssd", "periods": ["active", "sham"], "after": "0.5 h"},
                   {"id": "p2", "type": "biomarker_change", "measure": "rmssd",
                    "at": "24.5 h", "baseline": "period"}])
    res = run_trial(parse_trial(data, PROTOCOLS), seed=1)
    d = res.first
    v = d.observable("rmssd")
    i0, i1, i2, i3 = (d.visit(h) for h in (0.0, 0.5, 24.0, 24.5))
    ab = (d.patients.arm == "AB").to_numpy()
    by_hand = np.r_[(v[ab, i1] - v[ab, i0]) - (v[ab, i3] - v[ab, i2]),
                    (v[~ab, i3] - v[~ab, i2]) - (v[~ab, i1] - v[~ab, i0])]
    s = res.summary().set_index(["endpoint", "arm"])["mean"]
    assert s[("hrv", "active vs sham (within)")] == pytest.approx(by_hand.mean())
    assert s[("hrv", "AB: active vs sham")] == pytest.approx(by_hand[: ab.sum()].mean())
    assert s[("p2", "AB")] == pytest.approx(np.mean(v[ab, i3] - v[ab, i2]))
    bad = {**data, "visits": ["0.5 h", "24.5 h", "2 d"], "endpoints": data["endpoints"][:1]}
    with pytest.raises(ValidationError, match="needs visits at its start"):
        parse_trial(bad, PROTOCOLS)


def test_dose_by_sex_and_response_guided_frequency() -> None:
    data = _trial(arms=[{"name": "by_sex", "choose_by": "sex", "protocols": {
        "female": "ketamine_single_iv.yaml", "male": "no_treatment.yaml"}}],
        endpoints=[{"id": "f", "type": "mean_change", "at": "1 d",
                    "subgroup": {"covariate": "sex", "equals": "female"}},
                   {"id": "m", "type": "mean_change", "at": "1 d",
                    "subgroup": {"covariate": "sex", "equals": "male"}}])
    s = run_trial(parse_trial(data, PROTOCOLS), seed=2).summary().set_index("endpoint")
    assert s.loc["f", "mean"] < s.loc["m", "mean"] - 3.0  # only women got ketamine
    guided = _trial(duration="3 week", visits={"every": "1 week", "also": ["7.02 d"]},
                    n=30, arms=[{
        "name": "guided", "periods": [
            {"protocol": "ketamine_single_iv.yaml", "until": "1 week"},
            {"choose_by": "remission", "threshold": 12, "protocols": {
                "remitter": "no_treatment.yaml", "non_remitter": "ketamine_single_iv.yaml"}}]}],
        endpoints=[{"type": "mean_score", "at": "2 week"}])
    trial = parse_trial(guided, PROTOCOLS)
    assert trial.arms[0].periods[1].protocols["remitter"].name.startswith("No treatment")
    d = run_trial(trial, seed=2).first
    names = [o.name for o in d.model.observables]
    madrs = d.observed["MADRS"][:, d.visit(7 * 24.0)]  # the rating the decision read
    conc = d.latent[:, d.visit(7.02 * 24), names.index("ketamine_conc")]
    assert (madrs <= 12).any() and (madrs > 12).any()
    assert (conc[madrs > 12] > 10 * conc[madrs <= 12].max()).all()  # only non-remitters dosed
    # patients.csv records each patient's branch (round 48's audit)
    branch = d.patients["protocol_period2"].to_numpy()
    assert np.array_equal(branch == "remitter", madrs <= 12)
    bad = {**guided, "arms": [{**guided["arms"][0], "periods": [
        {"choose_by": "response", "protocols": {"responder": "no_treatment.yaml",
                                                "non_responder": "no_treatment.yaml"}}]}]}
    with pytest.raises(ValidationError, match="must be a later visit"):
        parse_trial(bad, PROTOCOLS)
    assert np.isfinite(d.observed["MADRS"]).all()


@pytest.mark.parametrize("period, message", [
    ({"choose_by": "sex", "protocols": {"female": "no_treatment.yaml"}},
     "needs exactly the keys female, male"),
    ({"choose_by": "weight", "protocols": {"a": "no_treatment.yaml"}}, r"choose_by"),
    ({"protocol": "no_treatment.yaml", "choose_by": "sex"}, "together with 'protocols'"),
    ({"protocol": "no_treatment.yaml", "threshold": 12}, "threshold: applies"),
    ({"protocols": {"female": "no_treatment.yaml", "male": "nope.yaml"}, "choose_by": "sex"},
     r"protocols\.male: protocol file 'nope.yaml' not found"),
])
def test_bad_patient_dependent_dosing_is_one_line(period: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        parse_trial(_trial(arms=[{"name": "a", "periods": [period]}], endpoints=[]),
                    PROTOCOLS)
    assert "\n" not in str(err.value)


def test_a_later_period_of_the_same_treatment_continues_its_course() -> None:
    """Expectancy attaches to a newly started treatment (Rutherford et al. 2017); a trial's
    split of the same weekly esketamine into two periods, or its switch to a new type of
    treatment, must read as the patient lives it: the split keeps the novelty fading, a
    newly added oral antidepressant starts a new course."""
    weekly = {"name": "w", "duration": "8 week", "therapies": [
        {"type": "esketamine_nasal", "dose": "56 mg", "at": ["0 d"],
         "repeat": {"every": "1 week", "count": 8}}]}
    add_ad = {**weekly, "therapies": [*weekly["therapies"],
                                      {"type": "oral_antidepressant", "action": "start",
                                       "at": ["0 d"]}]}

    def novelty(second: dict) -> np.ndarray:
        t = parse_trial(_trial(duration="8 week", visits=["27 d", "29 d", "8 week"],
                               arms=[{"name": "a", "periods": [
                                   {"protocol": weekly, "until": "4 week"},
                                   {"protocol": second}]}],
                               endpoints=[{"type": "mean_change", "at": "8 week"}]), PROTOCOLS)
        d = run_trial(t, seed=1, n=4).first
        return d.latent[:, 1:, [o.name for o in d.model.observables].index("novelty")]

    same, new = novelty(weekly), novelty(add_ad)
    assert (same[:, 1] < same[:, 0]).all() and (same[:, 2] < same[:, 1]).all()
    assert (new[:, 1] > 0.99).all()
    ketamine = {"name": "k", "duration": "4 week", "therapies": [
        {"type": "ketamine_iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 d"]}]}
    saline = {"name": "s", "duration": "4 week", "therapies": [
        {"type": "saline_iv", "infusion": "40 min", "at": ["0 d"]}]}
    for blinding, same_course in (("blinded", True), ("open", False)):
        t = parse_trial(_trial(duration="8 week", visits=["27 d", "29 d", "8 week"],
                               blinding=blinding, arms=[{"name": "a", "periods": [
                                   {"protocol": ketamine, "until": "4 week"},
                                   {"protocol": saline}]}],
                               endpoints=[{"type": "mean_change", "at": "8 week"}]), PROTOCOLS)
        d = run_trial(t, seed=1, n=4).first  # a crossover to saline
        cross = d.latent[:, 1:, [o.name for o in d.model.observables].index("novelty")]
        assert ((cross[:, 1] < cross[:, 0]) == same_course).all(), blinding


def test_an_open_label_period_breaks_the_blind() -> None:
    """D-02's design (Rush et al. 2005): masked active or sham VNS, then open-label VNS for
    every patient. After the switch the sham arm knows it now receives active stimulation: a
    new treatment course (novelty reset) believed active; under a kept blind the same switch
    continues the course. The raters know too: observer bias (``rater_bias``) lowers the
    switched arm's ratings from the open period on, unless the trial keeps raters blinded."""
    switch = {"name": "on", "duration": "8 week", "background": {"oral_antidepressant": "none"},
              "therapies": [{"type": "vns", "implant_at": None, "start": "0 d",
                             "current": "1.0 mA"}]}

    def run(open_label: bool, raters: str = "auto"):
        t = parse_trial(_trial(duration="12 week", visits=["4 week", "5 week", "12 week"],
                               raters=raters, arms=[
                                   {"name": "vns", "protocol": "vns_standard.yaml"},
                                   {"name": "sham", "periods": [
                                       {"protocol": "vns_sham.yaml", "until": "4 week"},
                                       {"protocol": switch, "open_label": open_label}]}],
                               endpoints=[{"type": "mean_change", "at": "12 week"}]),
                        PROTOCOLS)
        return run_trial(t, seed=1, n=8).first

    names = [o.name for o in run(False).model.observables]
    for open_label in (False, True):
        d = run(open_label)
        sham = (d.patients["arm"] == "sham").to_numpy()
        novelty = d.latent[sham][:, 2, names.index("novelty")]  # week 5, a week after the switch
        belief = d.latent[sham][:, 2, names.index("belief")]
        assert (novelty > 0.95).all() == open_label and (belief > 0.99).all() == open_label
    opened, masked_raters = run(True), run(True, raters="blinded")
    sham = (opened.patients["arm"] == "sham").to_numpy()
    bias = opened.model.parameter("rater_bias").value
    lower = masked_raters.observed["MADRS"] - opened.observed["MADRS"]
    after = lower[sham][:, 2:]  # after the switch (less where a score is clipped at 0)
    assert (after <= bias + 1e-6).all() and np.isclose(np.median(after), bias)
    assert np.allclose(lower[:, :2], 0.0) and np.allclose(lower[~sham], 0.0)
    again = _trial(arms=[{"name": "a", "periods": [
        {"protocol": "vns_sham.yaml", "until": "4 d", "open_label": True},
        {"protocol": "vns_standard.yaml"}]}])
    with pytest.raises(ValidationError, match="every later period must be too"):
        parse_trial(again, PROTOCOLS)


def _comparator(**kw: object) -> dict:
    return {"name": "aug", "duration": "2 week", "therapies": [
        {"type": "oral_comparator", "drug": "test drug", **kw}]}


def test_oral_comparator_lowers_the_modelled_madrs_by_its_published_curve() -> None:
    def latent(effect: float) -> np.ndarray:
        proto = _comparator(effect_madrs=effect, onset="1 week", source="test",
                            start="2 d")
        t = parse_trial(_trial(duration="2 week", visits=["1 d", "1 week", "2 week"],
                               arms=[{"name": "aug", "protocol": proto}],
                               endpoints=[{"type": "mean_change", "at": "2 week"}]), PROTOCOLS)
        d = run_trial(t, seed=1).first
        return d.latent[:, :, [o.name for o in d.model.observables].index("madrs")]

    untreated = latent(0.0)
    diff = untreated - latent(4.0)
    days = np.array([0.0, 1.0, 7.0, 14.0])
    want = np.where(days > 2, 4.0 * (1 - np.exp(-(days - 2) / 7.0)), 0.0)
    # the scale's floor: a patient remitting on their own cannot go below MADRS 0
    assert np.allclose(diff, np.minimum(want[None, :], untreated), atol=1e-9)
    preset = parse_trial(_trial(arms=[{"name": "a", "protocol": _comparator(
        preset="aripiprazole_augmentation")}], endpoints=[]), PROTOCOLS)
    drug = preset.arms[0].periods[0].protocol.therapies[0]
    assert drug.effect_madrs == 3.0 and "Berman" in drug.source
    # a preset names its drug (round 48's audit: 'drug' was refused as missing)
    alone = parse_trial(_trial(arms=[{"name": "a", "protocol": {
        "name": "aug", "duration": "2 week", "therapies": [
            {"type": "oral_comparator", "preset": "quetiapine_xr_augmentation"}]}}],
        endpoints=[]), PROTOCOLS)
    assert alone.arms[0].periods[0].protocol.therapies[0].drug == "quetiapine XR"


def test_a_trial_wide_mmrm_names_where_it_belongs() -> None:
    """MMRM and non-responder imputation are chosen per endpoint (round 48's audit: a
    trial-level 'analysis: mmrm' got only "Input should be 'locf' or 'observed'")."""
    for how, where in (("mmrm", "missing: mmrm on a mean change"),
                       ("non_responder", "missing: non_responder on a rate")):
        with pytest.raises(ValidationError, match=where):
            parse_trial(_trial(analysis=how, endpoints=[]), PROTOCOLS)


def test_a_newly_started_open_label_comparator_gets_the_non_specific_response() -> None:
    """Reif et al. 2023 N Engl J Med 389:1298 (ESCAPE-TRD): open-label quetiapine XR
    augmentation of a continued SSRI/SNRI, remission (MADRS <= 10) at week 8 with dropouts
    as non-remitters in 60 of 340 (17.6 %). The arm's simulated remission (design file,
    quetiapine's effect over placebo from its preset) must agree by the project's |z| rule:
    starting a drug the patient knows is active is a new course with its expectancy (a
    comparator applied to the untreated course alone gave 5 %)."""
    res = run_trial(load_trial("escape_trd_comparator"), seed=2)
    rows = res.endpoints
    row = rows[(rows["endpoint"] == "remission_week8_nri") & (rows["arm"] == "quetiapine")]
    n_sim = int(row["n"].iloc[0])
    p_sim, p_pub = float(row["estimate"].iloc[0]), 60 / 340
    se = np.hypot(np.sqrt(p_pub * (1 - p_pub) / 340), np.sqrt(p_sim * (1 - p_sim) / n_sim))
    assert abs(p_sim - p_pub) / se <= 1.96, p_sim


@pytest.mark.parametrize("kw, message", [
    ({"effect_madrs": 3.0, "onset": "1 week"}, "give source"),
    ({"preset": "lithium_magic"}, "'lithium_magic' is not a preset"),
    ({"preset": "aripiprazole_augmentation", "onset": "2"},
     r"onset \(oral_comparator\): '2' has no unit"),
    ({"preset": "aripiprazole_augmentation", "start": "1 week", "stop": "1 d"},
     r"stop \(oral_comparator\): '1 d' must be after start"),
    ({"preset": "aripiprazole_augmentation", "effect_madrs": 40}, "effect_madrs"),
])
def test_bad_oral_comparator_is_one_line(kw: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        parse_trial(_trial(arms=[{"name": "a", "protocol": _comparator(**kw)}], endpoints=[]),
                    PROTOCOLS)
    assert "\n" not in str(err.value)


def test_significance_claims_are_scored_per_simulated_trial() -> None:
    from moodtwin.calibration import compare
    from moodtwin.calibration._targets import Target
    from moodtwin.trials._claims import claim_holds, favours_first

    data = _trial(n=80, visits=["1 d", "3 d", "7 d"], endpoints=[
        {"id": "diff", "type": "difference", "of": "mean_change", "at": "1 d",
         "arms": ["ketamine", "midazolam"],
         "published": {"claim": "superior", "test": "welch_t", "source": "test"}},
        {"id": "later", "type": "mean_change", "at": "7 d", "since": "3 d",
         "arms": ["midazolam"], "published": {"midazolam": {"claim": "improves"}}}])
    trial = parse_trial(data, PROTOCOLS)
    res = run_trial(trial, seed=3, replicates=2)
    diff = trial.endpoints[0]
    row = compare(Target(Path("t.yaml"), trial, "diff", "ketamine vs midazolam",
                         diff.published, False), res)
    rows = res.endpoints[res.endpoints.endpoint == "diff"]
    want = np.mean(rows["ci_high"] < 0)  # lower change = ketamine better
    assert row["simulated"] == want and row["pass"] == (want >= 0.5)
    assert "superior (welch_t" in row["published"]
    d = res.first
    x = d.observed["MADRS"]
    mid = (d.patients.arm == "midazolam").to_numpy()
    since = x[mid, d.visit(7 * 24.0)] - x[mid, d.visit(3 * 24.0)]
    s = res.summary().set_index(["endpoint", "arm"])
    assert res.endpoints.query("endpoint == 'later' and replicate == 0")["estimate"].iloc[0] \
        == pytest.approx(np.nanmean(since))
    assert s.loc[("later", "midazolam"), "n"] > 0
    # directions: hazard ratios and score differences favour arms[0] below the null
    hr = parse_trial(_trial(endpoints=[{"type": "hazard_ratio", "relapse_score": 22,
                                        "arms": ["ketamine", "midazolam"]}]),
                     PROTOCOLS).endpoints[0]
    assert favours_first(hr, 0.4, 0.9) == 1 and favours_first(hr, 0.9, 1.4) == 0
    assert favours_first(diff, 1.0, 3.0) == -1
    assert claim_holds(diff, diff.published, -5.0, -1.0)
    assert not claim_holds(diff, diff.published, -5.0, 1.0)


@pytest.mark.parametrize("pub, message", [
    ({"claim": "better"}, r"published\.claim: Input should be 'superior'"),
    ({"claim": "superior", "value": 3}, "a 'value' .* or a 'claim'"),
    ({"claim": "superior", "n": 30}, "not ci/se/sd/n"),
    ({"claim": "superior", "alpha": 0.01}, r"published\.alpha: 0\.01"),
    ({"claim": "superior", "test": "chi2"}, r"published\.test: Input should be"),
    ({"claim": "superior", "test": "mmrm"}, "this endpoint is tested with 'welch_t'"),
])
def test_bad_claims_are_one_line(pub: dict, message: str) -> None:
    ep = {"type": "difference", "of": "mean_change", "at": "1 d",
          "arms": ["ketamine", "midazolam"], "published": pub}
    with pytest.raises(ValidationError, match=message) as err:
        parse_trial(_trial(endpoints=[ep]), PROTOCOLS)
    assert "\n" not in str(err.value)
    with pytest.raises(ValidationError, match="'improves' applies to a mean_change"):
        parse_trial(_trial(endpoints=[{**ep, "published": {"claim": "improves"}}]), PROTOCOLS)
    with pytest.raises(ValidationError, match="compares arms"):
        parse_trial(_trial(endpoints=[{"type": "mean_change", "at": "1 d", "published": {
            "ketamine": {"claim": "superior"}}}]), PROTOCOLS)


def test_every_design_example_loads_and_uses_its_feature() -> None:
    designs = sorted((TRIALS / "designs").glob("*.yaml"))
    assert len(designs) >= 7
    text = "\n".join(p.read_text() for p in designs)
    for field in ("persistence:", "choose_by:", "visits: [{every", "label:", "within_difference",
                  "baseline: period", "anaesthesia: true", "setting: inpatient",
                  "oral_comparator", "missing: mmrm", "missing: non_responder",
                  "reference: best", "origin: first_response", "proportion_relapsed",
                  "subgroup:", "correlation", "pools:", "window_start:", "claim:",
                  "severe_score:", "confirm: 2", "scale: HAM-D6", "scale: CGI-S",
                  "cgi_i_response_rate", "measure: cadss", "bdnf_plasma_ngml", "since:",
                  "titrate_to_tolerance:", "route: intranasal", "route: oral",
                  "route: intramuscular", "placebo: true", "type: esketamine_iv",
                  "type: oral_antidepressant, blinded: true", "of: slope"):
        assert field in text, field
    for path in designs:
        trial = load_trial(path)
        assert all(not isinstance(e.published, dict) and (e.published is None
                   or e.published.claim is not None) for e in trial.endpoints), path.name


def test_new_scales_and_measures_in_a_trial() -> None:
    from moodtwin import scales

    data = _trial(endpoints=[
        {"id": "cgi", "type": "mean_cgi_i", "at": "1 d", "arms": ["ketamine"]},
        {"id": "cgi_resp", "type": "cgi_i_response_rate", "at": "1 d", "arms": ["ketamine"],
         "missing": "non_responder"},
        {"id": "hamd6", "type": "mean_score", "at": "1 d", "scale": "HAM-D6"},
        {"id": "plasma", "type": "biomarker_change", "measure": "bdnf_plasma_ngml",
         "at": "1 d"},
        {"id": "cadss", "type": "biomarker_change", "measure": "cadss", "at": "1 d"}])
    res = run_trial(parse_trial(data, PROTOCOLS), seed=2)
    d = res.first
    s = res.summary().set_index(["endpoint", "arm"])["mean"]
    ket = (d.patients.arm == "ketamine").to_numpy()
    x = d.observed["MADRS"][ket]
    cgi = scales.cgi_improvement(x[:, 0], x[:, 1])
    assert s[("cgi", "ketamine")] == pytest.approx(np.nanmean(cgi))
    assert s[("cgi_resp", "ketamine")] == pytest.approx(np.mean(cgi <= 2))
    assert s[("hamd6", "ketamine")] == pytest.approx(np.nanmean(d.observed["HAMD6"][ket, 1]))
    names = [o.name for o in d.model.observables]
    serum = d.latent[:, :, names.index("bdnf_serum_ngml")]
    assert s[("plasma", "ketamine")] == pytest.approx(0.1 * np.mean(serum[ket, 1] - serum[ket, 0]))


def _vns_titrated(**tol: object) -> dict:
    vns = {"name": "vns", "duration": "12 week",
           "therapies": [{"type": "vns", "current": "0.25 mA", "start": "2 week"}]}
    return _trial(duration="12 week", visits={"every": "2 week"}, n=20, arms=[{
        "name": "vns", "periods": [{"protocol": vns, "titrate_to_tolerance": {
            "step": "0.25 mA", "every": "2 week", "max": "1.5 mA", "below": 0.3, **tol}}]}],
        endpoints=[{"type": "mean_change", "at": "12 week"}])


def test_vns_titration_to_tolerance_follows_each_patients_side_effects() -> None:
    d = run_trial(parse_trial(_vns_titrated(), PROTOCOLS), seed=1).first
    level = d.patients["vns_titrated_mA"].to_numpy()
    va = d.latent[:, :, [o.name for o in d.model.observables].index("voice_alteration")]
    decisions = [d.visit(w * 7 * 24.0) for w in (4, 6, 8, 10)]
    assert len(set(level)) > 1  # patients differ in tolerance
    for i, mA in enumerate(level):
        passed = round((mA - 0.25) / 0.25)
        assert (va[i, decisions[:passed]] < 0.3).all()
        if passed < len(decisions):
            assert va[i, decisions[passed]] >= 0.3


@pytest.mark.parametrize("tol, message", [
    ({"step": "0 mA"}, "must be above 0 mA"),
    ({"max": "5 mA"}, r"titrate_to_tolerance\.max: '5 mA' is outside the allowed range 0–3.5"),
    ({"step": "2"}, r"titrate_to_tolerance\.step: '2' has no unit"),
    ({"every": "2 h"}, "at least 1 d"),
    ({"below": 2}, r"below: Input should be less than or equal to 1"),
    ({"measure": "cough"}, r"measure: Input should be 'voice_alteration'"),
])
def test_bad_titration_to_tolerance_is_one_line(tol: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        parse_trial(_vns_titrated(**tol), PROTOCOLS)
    assert "\n" not in str(err.value)
    sham = _vns_titrated()
    sham["arms"][0]["periods"][0]["protocol"]["therapies"][0]["sham"] = True
    with pytest.raises(ValidationError, match="not sham"):
        parse_trial(sham, PROTOCOLS)


def _withdrawal(**w: object) -> dict:
    return {"duration": "4 week", "visits": {"every": "1 week"},
            "endpoints": [],
            "withdrawal": {"at": "2 week", "criterion": "remission", "arms": [
                {"name": "stay", "protocol": "ketamine_repeated_iv.yaml"}], **w}}


@pytest.mark.parametrize("change, message", [
    (_withdrawal(persistence={"k": 4, "of_last": 3}), "k = 4 exceeds of_last = 3"),
    (_withdrawal(persistence={"k": 0, "of_last": 3}), r"persistence\.k: Input should be"),
    (_withdrawal(threshold=-1), r"withdrawal\.threshold: Input should be greater"),
    (_withdrawal(criterion="response", threshold=140), "response improvement in percent"),
    (_withdrawal(criterion="all", threshold=10), "criterion 'all' takes no threshold"),
    (_withdrawal(from_arms=["nobody"]), r"withdrawal\.from_arms: unknown arm 'nobody'"),
    ({"arms": [{"name": "k", "protocol": "ketamine_single_iv.yaml", "visits": ["9 d"]}],
      "endpoints": []}, "after the trial's end"),
    ({"arms": [{"name": "k", "protocol": "ketamine_single_iv.yaml",
                "visits": {"every": "1 d", "until": "7 d", "often": 2}}]},
     r"arms\[0\]\.visits: unknown key\(s\) often"),
    ({"arms": [{"name": "k", "protocol": "ketamine_single_iv.yaml", "visits": ["7 d"]}],
      "endpoints": [{"type": "mean_change", "at": "1 d", "arms": ["k"]}]},
     "is not on arm 'k''s own visits"),
    ({"arms": [{"name": "k", "protocol": "ketamine_single_iv.yaml", "anaesthesia": "maybe"}]},
     r"arms\.0\.anaesthesia: Input should be a valid boolean"),
    ({"arms": [{"name": "k", "protocol": "ketamine_single_iv.yaml", "setting": "icu"}]},
     r"arms\.0\.setting: Input should be 'outpatient' or 'inpatient'"),
    ({"arms": [{"name": "k", "periods": [{"protocol": "ketamine_single_iv.yaml",
                                          "label": 3}]}]}, r"label: Input should be"),
    (_ep(type="mean_score", baseline="period"), "baseline: 'period' applies to changes"),
    ({"arms": [{"name": "k", "periods": [
        {"protocol": "ketamine_single_iv.yaml", "until": "3 d"},
        {"protocol": "no_treatment.yaml"}]}],
      "endpoints": [{"type": "mean_change", "at": "7 d", "baseline": "period"}]},
     "needs a visit at arm 'k''s period start \\(3 d\\)"),
    (_ep(type="within_difference", of="mean_change"), "needs 'periods: \\[A, B\\]'"),
    (_ep(type="within_difference", of="mean_change", periods=["a", "b"], at=None),
     "no arm has periods labelled a and b"),
    (_ep(periods=["a", "b"]), "belong to endpoint 'within_difference'"),
    (_ep(type="within_difference", of="mean_change", periods=["a", "b"], at="7 d"),
     r"at: '7 d' is not read by 'within_difference'.*'after"),
    (_ep(type="mean_change", measure="rmssd"),
     r"measure: 'rmssd' is read only by biomarker_change, correlation; on 'mean_change'"),
    (_ep(remission_threshold=10), r"remission_threshold: 10 is read only by remission_rate"),
    (_ep(type="remission_rate", response_fraction=0.3), "response_fraction: 0.3 is read only"),
    (_ep(type="mean_change", relapse={"score": 22}), "relapse: is read only by median_time"),
    (_ep(type="difference", of="mean_change", arms=["ketamine", "midazolam"],
         remission_threshold=10), "on 'mean_change' it would be ignored"),
    (_ep(type="mean_change", since="7 d"), "must be before 'at'"),
    (_ep(type="mean_change", since="2 d", at="7 d"), "since '2 d' is not a visit"),
    (_ep(type="response_rate", since="1 d", at="7 d"), "since: applies to mean_change"),
    (_ep(published={"ketamine": {"value": 45, "n": 20}}),
     r"endpoint 'response_rate', published for arm 'ketamine': value 45 is outside 0-1; give rates "
     r"as fractions"),
    (_ep(published={"ketamine": {"value": 0.4, "ci": [0.2, 60]}}), r"ci\[1\] 60 is outside 0-1"),
    (_ep(scale="SSI"), r"endpoints\.0: Unknown scale 'SSI'\. Known: MADRS, HAMD17"),
    (_ep(scale="PCL-5"), r"endpoint 'response_rate': scale 'PCL-5' rates PTSD, but nobody "
                         r"has a trauma memory.*population\.ptsd_baseline"),
    ({"scale": "PCL5"}, "scale 'PCL5' rates PTSD"),
    (_ep(published={"nobody": {"value": 0.4, "n": 20}}),
     "published value for unknown arm 'nobody'; arms are ketamine, midazolam"),
    (_ep(type="mean_change", published={"ketamine": {"value": -9.0}}),
     "published for arm 'ketamine': value -9 needs its uncertainty"),
    (_ep(type="mean_change", published={"ketamine": {"value": -9.0, "sd": 8.0}}),
     "needs its uncertainty: give 'ci'"),
])
def test_bad_design_fields_give_one_line_errors(change: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        parse_trial(_trial(**change), PROTOCOLS)
    assert "\n" not in str(err.value)


def test_informative_dropout_loses_non_improvers_and_keeps_the_expected_fraction() -> None:
    """With dropout_informative > 1 the patients who leave are those whose last rated score
    is near baseline; the expected fraction lost stays ``dropout``."""
    from moodtwin.trials._run import dropout_times

    rng = np.random.default_rng(0)
    n = 4000
    visit_h = np.array([0.0, 168.0, 336.0, 504.0])
    improved = rng.uniform(size=n) < 0.5
    rated = np.where(improved[:, None], [30.0, 20.0, 12.0, 10.0], [30.0, 30.0, 29.0, 30.0])
    trial = parse_trial({
        "name": "t", "duration": "4 week", "visits": ["1 week", "2 week", "3 week"],
        "n": 10, "dropout": 0.3, "dropout_informative": 4.0,
        "arms": [{"name": "a", "protocol": {"name": "p", "duration": "4 week",
                                            "therapies": []}}]})
    out = dropout_times(trial, visit_h, rated, 672.0, np.random.default_rng(1))
    lost = np.isfinite(out)
    assert abs(lost.mean() - 0.3) < 0.03
    assert lost[~improved].mean() > 1.5 * lost[improved].mean()
    random = dropout_times(trial.model_copy(update={"dropout_informative": 1.0}), visit_h,
                           rated, 672.0, np.random.default_rng(1))
    gap = np.isfinite(random)[~improved].mean() - np.isfinite(random)[improved].mean()
    assert abs(gap) < 0.05


def test_a_placebo_controlled_trial_blinds_both_arms_at_its_allocation_share() -> None:
    # Rutherford et al. 2017 / Papakostas & Fava 2009: in a blinded trial a patient's belief
    # of receiving active treatment is the allocation share, in the active and the placebo
    # arm alike (D-02, Rush et al. 2005: 1:1 implant, stimulation from week 2). Before the
    # switch-on nothing differs between the arms; an open single-arm trial of the same
    # implant is known active.
    def belief(arms: list[dict], n: int) -> dict[str, np.ndarray]:
        data = _trial(n=n, duration="16 d", visits=["1 d", "13 d", "16 d"], arms=arms,
                      population={"antidepressant_continued": 1.0},
                      endpoints=[{"type": "response_rate", "at": "16 d"}])
        res = run_trial(parse_trial(data, PROTOCOLS), seed=1)
        d = res.first
        k = [o.name for o in d.model.observables].index("belief")
        arm = d.patients["arm"].to_numpy()
        return {a: d.latent[arm == a][:, 1, k] for a in np.unique(arm)}

    vns = {"name": "vns", "protocol": "vns_standard.yaml"}
    sham = {"name": "sham", "protocol": "vns_sham.yaml"}
    b = belief([{**vns, "allocation": 2}, {**sham, "allocation": 1}], 30)
    for arm in ("vns", "sham"):
        assert 2 / 3 <= b[arm].min() and b[arm].mean() < 2 / 3 + 0.1  # + experienced change
    assert abs(b["vns"].mean() - b["sham"].mean()) < 0.05
    assert belief([vns], 10)["vns"].min() == pytest.approx(1.0)


def test_few_patients_improve_between_implantation_and_switch_on() -> None:
    # Sackeim et al. 2001 Neuropsychopharmacology 25:713 (open VNS pilot, n = 60, HRSD-28
    # >= 20, >= 2 failed trials): after implantation "a 2-week, single blind, recovery period
    # (no stimulation)"; 1 of 60 patients improved during it. The surgery is a contact with
    # the team, not the start of the treatment course, so the simulated response two weeks
    # after implantation must stay within the exact 95 % binomial interval of 1/60.
    from scipy.stats import beta

    data = _trial(n=200, duration="15 d", visits=["1 week", "2 week", "15 d"], scale="HRSD28",
                  population={"baseline": {"scale": "HRSD28", "mean": 38.0, "sd": 6.0,
                                           "min": 20, "max": 60},
                              "failed_treatments": {"mean": 4.0, "min": 2, "max": 10},
                              "antidepressant_continued": 1.0,
                              "inclusion": {"min_score": 20, "min_failed_treatments": 2}},
                  arms=[{"name": "vns", "protocol": "vns_standard.yaml"}],
                  endpoints=[{"type": "response_rate", "at": "15 d"}])
    traj = run_trial(parse_trial(data, PROTOCOLS), seed=2).trajectories.set_index("day")
    upper = beta.ppf(0.975, 2, 59)  # Clopper-Pearson upper bound of 1/60: 8.9 %
    assert traj.loc[14.0, "response"] <= upper  # the day before switch-on


def _latent(data: dict, name: str, visit: int) -> dict[str, np.ndarray]:
    """Observable ``name`` at visit ``visit`` of each arm of trial ``data`` (one replicate)."""
    d = run_trial(parse_trial(data, PROTOCOLS), seed=1).first
    k = [o.name for o in d.model.observables].index(name)
    arm = d.patients["arm"].to_numpy()
    return {a: d.latent[arm == a][:, visit, k] for a in np.unique(arm)}


def _tavns(**over: object) -> dict:
    th = {"type": "tavns", "current": "2 mA", "sessions_per_day": 1, "days_per_week": 5,
          "start": "0 d", "duration": "4 week", **over}
    return {"name": "tavns", "duration": "4 week", "therapies": [th]}


def test_a_sham_that_is_not_felt_unblinds_and_a_felt_sham_keeps_the_blind() -> None:
    # Hein et al. 2013 (J Neural Transm 120:821) name "the risk of unblinding for technical
    # reasons" of a sham left off; Rong et al. 2016 stimulate the scapha instead (felt, no
    # vagal fibres). A blinded patient (1:1) who notices nothing where the active treatment
    # would be felt lowers the allocation share by the share ``unblinding``; a felt sham and
    # the active arm keep it.
    from moodtwin import ParameterSet
    u = ParameterSet.calibrated().values["unblinding"]
    arms = [{"name": "tavns", "protocol": _tavns()},
            {"name": "felt_sham", "protocol": _tavns(sham=True)},
            {"name": "off_sham", "protocol": _tavns(sham=True, current="0 mA")}]
    data = _trial(n=30, duration="4 week", visits=["10 h", "4 week"], arms=arms,
                  population={"antidepressant_continued": 1.0},
                  endpoints=[{"type": "mean_change", "at": "4 week"}])
    b = _latent(data, "belief", 1)  # 10 h: after the first session, before any improvement
    share = 1 / 3
    assert b["off_sham"].mean() == pytest.approx(share * (1 - u), abs=0.03)
    assert b["felt_sham"].min() >= share - 1e-9
    assert b["tavns"].min() >= share - 1e-9
    # ``unblinding`` is a share of patients: those who concluded placebo stay unblinded, so
    # four weeks of felt improvement move only the other patients' belief.
    late = _latent(data, "belief", 2)
    assert late["off_sham"].max() <= 1 - u + 1e-9
    assert late["off_sham"].mean() <= (1 - u) * late["felt_sham"].mean() + 1e-9


def test_self_administered_home_sessions_are_not_care_team_contacts() -> None:
    # Rong et al. 2016 (J Affect Disord 195:172): taVNS "self-administered by the patients at
    # home after they received training from the hospitals". Between the trial's rating visits
    # (weeks 0 and 4) engagement, and so expectancy, fades at home; clinic sessions hold it.
    arms = [{"name": "clinic", "protocol": _tavns()},
            {"name": "home", "protocol": _tavns(self_administered=True)}]
    data = _trial(n=20, duration="4 week", visits=["20 d", "4 week"], arms=arms,
                  population={"antidepressant_continued": 0.0},
                  endpoints=[{"type": "mean_change", "at": "4 week"}])
    e = _latent(data, "expectancy", 1)  # day 20 (belief x engagement x novelty)
    assert e["clinic"].min() > 0.5
    assert e["home"].max() < 0.5 * e["clinic"].min()


def test_a_rating_averages_the_daily_fluctuation_over_its_recall_period() -> None:
    # The mean of a stationary Ornstein-Uhlenbeck process (correlation time tau) over a window
    # W has variance 2 (tau/W)^2 (W/tau - 1 + exp(-W/tau)) (e.g. Gillespie 1996 Am J Phys
    # 64:225); a 24-h-recall rating therefore fluctuates more than a 7-day one.
    from moodtwin.scales import recall_windows
    from moodtwin.simulation import _recall_means
    tau = np.full(20000, 24.0)
    t = np.array([0.0, 24.0, 200.0])
    w = recall_windows(t)
    assert w.tolist() == [168.0, 24.0, 168.0]
    m = _recall_means(tau, t, w, np.random.default_rng(0))
    x = w / 24.0
    var = 2 / x**2 * (x - 1 + np.exp(-x))
    assert m[:, :, 0].var(axis=0) == pytest.approx(var, rel=0.06)
    assert m[:, :, 1].var(axis=0) == pytest.approx(var, rel=0.06)


def test_cadss_after_one_ketamine_infusion_matches_the_published_mean() -> None:
    # van Schalkwyk et al. 2018 (J Affect Disord 227:11): 110 patients with mood disorders,
    # IV ketamine (0.5 mg/kg over 40 min), mean CADSS total 7.7 (SD 9.2): the virtual
    # population's mean at the end of the infusion lies within 2 points (about 2 SE).
    data = {"name": "cadss", "n": 110, "duration": "2 d", "visits": ["40 min", "1 d"],
            "population": {"antidepressant_continued": 1.0},
            "arms": [{"name": "ketamine", "protocol": "ketamine_single_iv.yaml"}],
            "endpoints": [{"id": "cadss", "type": "biomarker_change", "measure": "cadss",
                           "at": "40 min"}]}
    s = run_trial(parse_trial(data, PROTOCOLS), seed=0).summary()
    assert float(s.loc[s["endpoint"] == "cadss", "mean"].iloc[0]) == pytest.approx(7.7, abs=2.0)


def test_vns_driven_plasticity_builds_over_months() -> None:
    # New dentate granule cells take more than six months to mature in adult macaques
    # (Kohler et al. 2011 PNAS 108:10326); clinically the VNS-sham difference in response was
    # 5 points at 10 weeks (15.2 % vs 10.0 %, Rush et al. 2005) and 14 at 12 months against
    # usual care (27 % vs 13 %, George et al. 2005): about a third. The slow plasticity that
    # VNS drives must be at most half built after 10 weeks of stimulation.
    from moodtwin import simulate
    r = simulate(PROTOCOLS / "vns_standard.yaml", {"vulnerability": 0.0})
    rise = np.asarray(r["neurogenesis"]).ravel() - np.asarray(r["neurogenesis"]).ravel()[0]
    days = r.days
    at = {d: rise[np.argmin(np.abs(days - d))] for d in (84, 364)}  # switched on at day 14
    assert at[364] > 0
    assert at[84] <= 0.5 * at[364]


def test_catalogue_trials_and_protocols_load_by_name_from_any_directory(tmp_path,
                                                                         monkeypatch) -> None:
    from moodtwin.protocols import load_protocol

    monkeypatch.chdir(tmp_path)
    assert load_trial("ketamine_murrough2013").name == load_trial(
        TRIALS / "ketamine_murrough2013.yaml").name
    assert load_trial("designs/vns_d04_one_year_vs_tau.yaml").arms
    assert load_protocol("ketamine_single_iv").therapies
    (tmp_path / "ketamine_murrough2013.yaml").write_text("name: mine\n")  # a local file wins
    with pytest.raises(ValidationError, match="mine|visits|arms"):
        load_trial("ketamine_murrough2013.yaml")
    with pytest.raises(ValidationError, match="Cannot read trial file 'nosuch': no such file "
                       "here, nor in the catalogue .*ketamine_murrough2013"):
        load_trial("nosuch")


def test_most_patients_guess_their_allocation_in_serial_ketamine_vs_midazolam() -> None:
    # KARMA-Dep 2 (Jelovac et al. 2025 JAMA Psychiatry; 8 twice-weekly infusions of ketamine
    # 0.5 mg/kg or midazolam 0.045 mg/kg, 1:1, double blind): "most patients ... correctly
    # guessed treatment allocation". Read as: at the end of treatment most patients of each
    # arm hold a belief on the side of their true allocation (belief of active > 1/2 on
    # ketamine, < 1/2 on midazolam). Midazolam's sedation does not pass for dissociation.
    arms = [{"name": "ketamine", "protocol": "ketamine_twice_weekly_4wk.yaml"},
            {"name": "midazolam", "protocol": "midazolam_twice_weekly_4wk.yaml"}]
    data = _trial(n=40, duration="25 d", visits=["25 d"], arms=arms,
                  population={"antidepressant_continued": 1.0},
                  endpoints=[{"type": "mean_change", "at": "25 d"}])
    b = _latent(data, "belief", 1)
    assert (b["ketamine"] > 0.5).mean() > 0.5
    assert (b["midazolam"] < 0.5).mean() > 0.5


def _open_trial(scale: str = "MADRS", **over: object) -> dict:
    return _trial(n=300, duration="7 d", visits=["7 d"], scale=scale,
                  arms=[{"name": "ketamine", "protocol": "ketamine_single_iv.yaml"},
                        {"name": "untreated", "protocol": "no_treatment.yaml"}],
                  endpoints=[{"type": "mean_change", "at": "7 d"}], **over)


def test_unblinded_raters_exaggerate_the_effect_by_hrobjartsson_2013s_size() -> None:
    # Hrobjartsson et al. 2013 CMAJ 185:E201: in 16 trials that rated the same patients on a
    # subjective scale with blinded and non-blinded assessors, the non-blinded ones made the
    # effect 0.23 SD more beneficial (95 % CI 0.06-0.40). The same open trial (same patients,
    # same random numbers) rated by blinded and by unblinded clinicians:
    def week1(raters: str, scale: str = "MADRS") -> dict[str, np.ndarray]:
        d = run_trial(parse_trial(_open_trial(scale, raters=raters), PROTOCOLS), seed=2).first
        arm = d.patients["arm"].to_numpy()
        return {a: d.observed[scale][arm == a] for a in ("ketamine", "untreated")}

    open_, blind = week1("auto"), week1("blinded")
    shift = blind["ketamine"][:, 1] - open_["ketamine"][:, 1]
    smd = shift.mean() / np.nanstd(blind["ketamine"][:, 1], ddof=1)
    assert 0.06 <= smd <= 0.40
    assert np.array_equal(blind["ketamine"][:, 0], open_["ketamine"][:, 0])  # not at baseline
    # usual care without a study treatment is not the experimental arm
    assert np.array_equal(blind["untreated"], open_["untreated"])
    # a self-rated scale has no clinician to bias
    self_open, self_blind = week1("auto", "BDI2"), week1("blinded", "BDI2")
    assert np.array_equal(self_open["ketamine"], self_blind["ketamine"])


def test_who_rates_follows_the_blinding_unless_the_trial_says_otherwise() -> None:
    arms = [{"name": "ketamine", "protocol": "ketamine_single_iv.yaml"},
            {"name": "saline", "protocol": "saline_placebo_iv.yaml"}]
    blinded = parse_trial(_trial(arms=arms), PROTOCOLS)
    assert not any(blinded.rater_knows_active(a) for a in blinded.arms)
    told = parse_trial(_trial(arms=arms, raters="unblinded"), PROTOCOLS)
    assert [told.rater_knows_active(a) for a in told.arms] == [True, False]
    with pytest.raises(ValidationError, match="raters"):
        parse_trial(_trial(raters="sometimes"), PROTOCOLS)


@pytest.mark.parametrize("of", ["enrolled", "candidates"])
def test_baseline_mean_is_the_enrolled_patients_unless_told_otherwise(of: str) -> None:
    """A report's baseline is the mean of the patients who passed screening. With a screening
    cut 1.6 SD below the mean (TRANSFORM-2: MADRS >= 28, baseline 37.0 +- 5.7) the enrolled
    latent mean is the file's (within Monte-Carlo error) by default; read as the candidates'
    distribution (`of: candidates`), truncation at the cut raises it (normal truncation
    alone: sd * phi(1.58) / (1 - Phi(-1.58)) = 0.66 points)."""
    from moodtwin.population._generate import _candidates, _eligible, candidate_spec
    from moodtwin.population._spec import PopulationSpec

    spec = PopulationSpec.model_validate({
        "baseline": {"scale": "MADRS", "mean": 37.0, "sd": 5.7, "min": 24, "max": 55, "of": of},
        "inclusion": {"min_score": 28}})
    cand = candidate_spec(spec, 1.7)
    c = _candidates(cand, 40_000, np.random.default_rng(7), 1.7)
    enrolled = c["baseline_madrs"].to_numpy()[_eligible(cand, c)].mean()
    if of == "enrolled":
        assert cand.baseline.mean < 37.0 and abs(enrolled - 37.0) < 0.15
    else:
        assert cand is spec and 0.5 < enrolled - 37.0 < 1.5


def test_response_fraction_reads_partial_response_and_improvement() -> None:
    # A partial response (>= 30 % reduction) or an improvement (>= 20 %) counts more patients
    # than a response (>= 50 %); 0.5 is the scale's own definition.
    eps = [{"id": f"r{f}", "type": "response_rate", "at": "1 d", "response_fraction": f}
           for f in (0.2, 0.3, 0.5)] + [{"id": "default", "type": "response_rate", "at": "1 d"}]
    trial = parse_trial(_trial(n=200, endpoints=eps), PROTOCOLS)
    s = run_trial(trial, seed=0, ensemble=False).summary().set_index(["endpoint", "arm"])["mean"]
    for arm in ("ketamine", "midazolam"):
        assert s[("r0.2", arm)] >= s[("r0.3", arm)] >= s[("r0.5", arm)]
        assert s[("r0.5", arm)] == s[("default", arm)]
    assert s[("r0.2", "ketamine")] > s[("r0.5", "ketamine")]
    with pytest.raises(ValidationError, match="response_fraction"):
        parse_trial(_trial(endpoints=[{"type": "response_rate", "at": "1 d",
                                       "response_fraction": 1.5}]), PROTOCOLS)


def _guided(threshold: float, choose_by: str = "response") -> dict:
    keys = ("responder", "non_responder") if choose_by == "response" else (
        "remitter", "non_remitter")
    return _trial(duration="3 week", visits={"every": "1 week"}, arms=[{
        "name": "guided", "periods": [
            {"protocol": "ketamine_single_iv.yaml", "until": "1 week"},
            {"choose_by": choose_by, "threshold": threshold,
             "protocols": dict.fromkeys(keys, "no_treatment.yaml")}]}], endpoints=[])


@pytest.mark.parametrize("data, message", [
    # a response threshold is a percentage: 0.5 (read as a fraction) was silently 0.5 %
    (_guided(0.5), r"threshold: 0\.5 is a response improvement in percent \(write 50"),
    (_guided(150), r"threshold: 150 is a response improvement in percent; allowed 1-100"),
    (_withdrawal(criterion="response", threshold=0.5),
     r"withdrawal\.threshold: 0\.5 is a response improvement in percent \(write 50"),
    (_withdrawal(), None),  # the scale's own criterion: fine
    ({"endpoints": [{"type": "median_time_to_relapse",
                     "relapse": {"improvement_below": 0.4}}]},
     r"relapse: improvement_below: 0\.4 is an improvement share in percent \(write 40"),
    # a remission cut-off outside the scale cannot be met or is always met
    (_guided(70, "remission"), r"threshold: 70 is outside 0-60 \(MADRS points"),
    (_withdrawal(threshold=61), r"withdrawal\.threshold: 61 is outside 0-60 \(MADRS points"),
    (_ep(type="remission_rate", remission_threshold=100),
     r"remission_threshold 100 is outside 0-60 \(MADRS points"),
    (_ep(type="remission_rate", remission_threshold=-2),
     r"remission_threshold -2 is outside 0-60 \(MADRS points"),
    (_ep(type="remission_rate", remission_threshold=20, scale="PHQ-9"),
     None),
    (_ep(type="remission_rate", remission_threshold=30, scale="PHQ-9"),
     r"remission_threshold 30 is outside 0-27 \(PHQ9 points"),
    ({"endpoints": [{"type": "hazard_ratio", "arms": ["ketamine", "midazolam"],
                     "relapse": {"score": 70}}]},
     r"relapse\.score 70 is outside 0-60 \(MADRS points"),
])
def test_thresholds_in_the_wrong_unit_or_off_the_scale_are_one_line(data: dict,
                                                                     message: str | None
                                                                     ) -> None:
    """A response threshold written as a fraction (0.5 for 50 %), or a remission or relapse
    score beyond the scale, was accepted and silently changed who counts as a responder,
    remitter or relapser; each is now one line naming the field, the value and the range."""
    full = {**_trial(), **data}
    if message is None:
        parse_trial(full, PROTOCOLS)
        return
    with pytest.raises(ValidationError, match=message) as err:
        parse_trial(full, PROTOCOLS)
    assert "\n" not in str(err.value)


def test_n_override_scales_a_trial_of_cohorts_only() -> None:
    """``--n`` (``run_trial(n=...)``) on a trial of non-randomized cohorts without a trial
    ``n`` was silently ignored: every cohort ran at its full size. It now scales the
    cohorts as it does beside a trial ``n``."""
    data = _trial(arms=[
        {"name": "a", "n": 30, "protocol": "ketamine_single_iv.yaml"},
        {"name": "b", "n": 20, "protocol": "no_treatment.yaml"}])
    data.pop("n")
    trial = parse_trial(data, PROTOCOLS)
    assert run_trial(trial, seed=1).first.patients["arm"].value_counts().to_dict() == {
        "a": 30, "b": 20}
    small = run_trial(trial, seed=1, n=10).first.patients["arm"].value_counts().to_dict()
    assert small == {"a": 6, "b": 4}


def test_the_trial_format_documents_signs_and_percentages() -> None:
    """A new user reading docs/formats/trial.md could not tell that ``cohen_d`` has the
    opposite sign to a ``difference`` of changes, nor that a response ``threshold`` is in
    percent while ``response_fraction`` is a fraction (it was only in a docstring)."""
    text = " ".join((ROOT / "docs" / "formats" / "trial.md").read_text().split())
    assert "`cohen_d` and `hedges_g` are positive when `arms[0]` improves more" in text
    assert "`response_fraction` is a fraction" in text
    assert "`relapse.improvement_below` are percentages" in text
    assert "run it with `moodtwin trial`" in text


def test_an_arm_written_with_one_protocol_is_named_as_written() -> None:
    """Round 48's audit: a problem in an arm's 'protocol:' was reported at
    'arms[0].periods[0]', a field the file does not have."""
    bad = {"name": "p", "duration": "7 d", "therapies": [
        {"type": "ketamine_iv", "dose": "5 mg/kg", "at": ["0 d"]}]}
    with pytest.raises(ValidationError) as err:
        parse_trial(_trial(arms=[{"name": "k", "protocol": bad}]), PROTOCOLS)
    assert "arms[0]: therapies[0].dose" in str(err.value) and "periods" not in str(err.value)


def test_an_endpoint_before_a_branch_s_first_dose_is_refused() -> None:
    """A choose_by alternative whose first dose comes after an endpoint (round 54's audit:
    men dosed at week 10 of a 6-week trial ran, untreated) is refused like a plain arm."""
    late = {"name": "late ketamine", "duration": "14 d",
            "therapies": [{"type": "ketamine_iv", "dose": "0.5 mg/kg", "infusion": "40 min",
                           "at": ["3 d"]}]}
    data = _trial(arms=[{"name": "by_sex", "choose_by": "sex", "protocols": {
        "female": "ketamine_single_iv.yaml", "male": late}}])
    with pytest.raises(ValidationError, match="protocol 'late ketamine' starts it 3 d into"):
        parse_trial(data, PROTOCOLS)


def test_published_values_travel_into_every_output(tmp_path) -> None:
    """The trial file's published values stand beside the simulated ones in the summary,
    result.json and endpoints.csv (round 54's audit: only the console showed them)."""
    import json

    from moodtwin.trials._report import write_outputs

    data = _trial(endpoints=[{"type": "response_rate", "at": "1 d",
                              "published": {"ketamine": {"value": 0.64, "n": 47}}}])
    res = run_trial(parse_trial(data, PROTOCOLS), seed=1)
    s = res.summary().set_index("arm")
    assert s.loc["ketamine", "published"] == 0.64
    assert 0.49 < s.loc["ketamine", "published_low"] < 0.64 < s.loc["ketamine",
                                                                    "published_high"] < 0.77
    assert np.isnan(s.loc["midazolam", "published"])
    write_outputs(res, tmp_path)
    rows = {r["arm"]: r for r in json.loads((tmp_path / "result.json").read_text())["endpoints"]}
    assert rows["ketamine"]["published"]["value"] == 0.64 and rows["midazolam"]["published"] is None
    assert "published_low" in (tmp_path / "endpoints.csv").read_text().splitlines()[0]


def test_a_vns_step_after_the_protocols_end_names_its_arm() -> None:
    """A VNS schedule error found only when the arm's protocol is compiled (a titration step
    after the inline protocol's end) names the arm, so a three-arm file says which arm."""
    from moodtwin.errors import ProtocolError

    vns = {"name": "VNS high", "duration": "6 week", "therapies": [{
        "type": "vns", "pulse_width": "250 us", "frequency": "20 Hz", "on_time": "30 s",
        "off_time": "5 min", "titration": [{"at": "2 week", "current": "0.5 mA"},
                                           {"at": "7 week", "current": "1 mA"}]}]}
    trial = parse_trial(_trial(duration="6 week", visits=["6 week"],
                               endpoints=[{"type": "mean_change", "at": "6 week"}],
                               arms=[{"name": "ketamine", "protocol": "ketamine_single_iv.yaml"},
                                     {"name": "high", "protocol": vns}]), PROTOCOLS)
    with pytest.raises(ProtocolError, match=r"arm 'high', protocol 'VNS high': .*titration\[1\]"):
        run_trial(trial, seed=0)
