"""Issue 15 parts (inflammation, neurotrophins, anxiety, fear/PTSD, stress, sleep, biomarkers):
each check compares with the number or direction its source gives."""

from __future__ import annotations

import numpy as np
import pytest

from moodtwin.errors import ProtocolError
from moodtwin.model import default_model
from moodtwin.protocols import compile_protocol, parse_protocol
from moodtwin.resilience import resilience

DAY = 24.0
KET = {"type": "ketamine_iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 d"]}
MID = {"type": "midazolam_iv", "at": ["0 d"]}
KET6 = {**KET, "at": ["0 d", "2 d", "4 d"], "repeat": {"every": "1 week", "count": 2}}
VNS_ON = {"type": "vns", "implant_at": None, "start": "0 d", "current": "1.25 mA"}
TAVNS = {"type": "tavns", "duration": "6 week"}
TRAUMA = 0.8


def _change(r, name: str, hours: float) -> float:
    """Relative change of ``name`` from baseline at ``hours``."""
    return float(r.at(name, hours)[0] / r.at(name, 0.0)[0] - 1.0)


def test_vns_lowers_lps_induced_tnf_production_as_koopman_2016(run):
    # Koopman et al. 2016 PNAS 113:8284: whole-blood LPS-induced TNF 2,900 pg/mL at day -21
    # vs 1,776 pg/mL at day 42 of VNS (-39%); tolerance 10 points (n = 17, SE not read).
    r = run("7 week", VNS_ON)
    assert _change(r, "tnf_lps_pgml", 42 * DAY) == pytest.approx(1776 / 2900 - 1, abs=0.10)


def test_vns_cap_not_cancelled_by_the_cortisol_fall(run):
    # Issue 15: VNS barely moved cytokines because the cortisol fall cancelled the CAP. Now
    # plasma TNF and LPS-induced IL-6 production fall with TNF production although cortisol
    # falls too (Koopman 2016: TNF, IL-6 and IL-1b production inhibited); plasma IL-6, mostly
    # from other sources, barely moves.
    r = run("7 week", VNS_ON)
    assert _change(r, "cortisol_ugdl", 42 * DAY) < 0.0
    assert _change(r, "tnf_pgml", 42 * DAY) < -0.25
    assert _change(r, "il6_lps_production", 42 * DAY) < -0.25
    # plasma IL-6, mostly from other sources, does not rise (human data inconsistent:
    # Majoie 2011, De Herdt 2009)
    assert _change(r, "il6_pgml", 42 * DAY) < 0.01


def test_tavns_leaves_cytokine_production_nearly_unchanged(run):
    # Kox et al. 2015: transvenous VNS did not change endotoxaemia responses or ex vivo
    # production; the auricular branch reaches no cervical efferents.
    r = run("6 week", TAVNS)
    assert abs(_change(r, "tnf_lps_pgml", 42 * DAY)) < 0.05


def test_repeated_ketamine_lowers_il6_and_tnf_at_day_13(run):
    # Zhan et al. 2020 Transl Psychiatry 10:246: six 0.5 mg/kg infusions over 12 days; IL-6
    # and TNF lower at day 13 than at baseline (p < 0.05).
    r = run("4 week", KET6)
    assert _change(r, "il6_pgml", 13 * DAY) < 0.0
    assert _change(r, "tnf_pgml", 13 * DAY) < 0.0


def test_plasma_bdnf_rises_at_240_min_after_ketamine_not_after_midazolam(run):
    # Haile et al. 2014 Int J Neuropsychopharmacol 17:331: plasma BDNF raised 240 min after
    # ketamine (responders); no association after midazolam.
    ket = run("2 d", KET)
    mid = run("2 d", MID)
    assert _change(ket, "bdnf_plasma_pgml", 4.0) > 0.10
    assert abs(_change(mid, "bdnf_plasma_pgml", 4.0)) < 0.02


def test_serum_bdnf_rises_after_weeks_of_treatment(run):
    # Sen, Duman & Sanacora 2008: serum BDNF rises with antidepressant treatment (ES 0.62);
    # platelet storage makes serum BDNF slow (it lags plasma after one infusion).
    r = run("4 week", KET6)
    assert _change(r, "bdnf_serum_ngml", 13 * DAY) > 0.05
    single = run("2 d", KET)
    assert _change(single, "bdnf_serum_ngml", 4.0) < _change(single, "bdnf_plasma_pgml", 4.0)


def test_acute_vns_lowers_ngf(run):
    # Follesa et al. 2007: acute VNS lowered hippocampal NGF mRNA.
    r = run("2 d", {**VNS_ON, "current": "1.5 mA"})
    assert r.at("ngf_brain", 24.0)[0] < r.at("ngf_brain", 0.0)[0]


def test_anxiety_is_its_own_state_and_reported_on_hama_and_gad7(model, run):
    assert "anxiety" in model.state_index and model.mechanism_of("anxiety") == "anxiety"
    r = run("1 d")
    assert 0 < r.score("HAMA")[0, 0] <= 56 and 0 <= r.score("GAD7")[0, 0] <= 21


def test_exposure_extinguishes_fear_and_taVNS_pairing_enhances_it(run):
    # Pena et al. 2013 Biol Psychiatry 73:1071 (rats): VNS paired with extinction training
    # enhanced extinction compared with extinction alone.
    ex = {"type": "exposure_therapy", "at": ["1 week"], "repeat": {"every": "1 week", "count": 10}}
    none = run("12 week", trauma_load=TRAUMA)
    plain = run("12 week", ex, trauma_load=TRAUMA)
    paired = run("12 week", {**ex, "paired": "tavns"}, trauma_load=TRAUMA)
    end = 12 * 7 * DAY
    assert none.at("pcl5", end)[0] == pytest.approx(none.at("pcl5", 0.0)[0], rel=1e-3)
    assert plain.at("pcl5", end)[0] < 0.8 * plain.at("pcl5", 0.0)[0]
    assert paired.at("pcl5", end)[0] < plain.at("pcl5", end)[0]
    assert run("1 d").at("pcl5", 0.0)[0] == 0.0  # no trauma memory, no PTSD score


def test_stressor_raises_cortisol_and_lowers_hrv(run):
    # Kirschbaum et al. 1993 (TSST): cortisol rises under stress; Kim et al. 2018: HRV falls.
    r = run("6 week", {"type": "stressor", "start": "1 week", "duration": "2 week"})
    assert _change(r, "cortisol_ugdl", 3 * 7 * DAY) > 0.2
    assert _change(r, "rmssd", 3 * 7 * DAY) < 0.0


def test_resilience_endpoint_peak_and_recovery():
    proto = parse_protocol({"name": "t", "duration": "40 week", "therapies": [VNS_ON]})
    res = resilience(proto, at="20 week", duration="2 week")
    assert res.peak > 0.5 and 0 < res.time_to_peak_h <= 14 * DAY + 1e-6
    assert np.isnan(res.recovery_h) or res.recovery_h >= 0


def test_psqi_poor_sleeper_when_depressed(run):
    # Buysse et al. 1989: PSQI > 5 separates poor from good sleepers; insomnia is common in
    # moderate-severe depression.
    assert run("1 d").at("psqi", 0.0)[0] > 5.0


def test_charge_rate_follows_the_settings(run):
    # 1 mA x 250 us x 20 Hz = 5 uC/s during trains; duty 30 s / (30 s + 5 min) = 1/11.
    r = run("1 d", {**VNS_ON, "current": "1 mA"})
    assert r.at("vns_charge_rate", 12.0)[0] == pytest.approx(5.0 / 11.0, rel=1e-6)


@pytest.mark.parametrize(("therapies", "msg"), [
    ([TAVNS, {"type": "exposure_therapy", "at": ["1 d"], "paired": "tavns"}], "ear stimulator"),
    ([{"type": "exposure_therapy", "at": ["1 d"], "paired": "vns"}], "implanted 'vns'"),
    ([{"type": "stressor", "start": "1 d", "duration": "2 week"},
      {"type": "stressor", "start": "1 week"}], "may not overlap"),
])
def test_bad_pairing_or_overlapping_stressors_give_one_clear_error(therapies, msg):
    proto = parse_protocol({"name": "t", "duration": "8 week", "therapies": therapies})
    model = default_model()
    with pytest.raises(ProtocolError, match=msg):
        compile_protocol(proto, model, model.defaults())



def _means(trial_file: str) -> dict[str, float]:
    """Simulated mean of every endpoint in one seeded run of a shipped trial file."""
    from pathlib import Path

    from moodtwin.trials import load_trial, run_trial

    trial = load_trial(Path(__file__).parents[1] / "examples" / "trials" / trial_file)
    s = run_trial(trial, seed=0).summary()
    return dict(zip(s["endpoint"], s["mean"].astype(float), strict=False))


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="known model failure (README, failing calibration "
                   "numbers: taVNS vs sham): with the shipped set taVNS minus sham at week 4 is "
                   "-1.49 HAM-A, within 1.5 of Wu's -1.12, but -1.19 HAMD-24 in this seeded "
                   "run (-4.23), so the anxiety effect is not the smaller one the check asks "
                   "for: the serotonin route that carries the difference since round 34 "
                   "lowers anxiety as much as depression")
def test_tavns_hama_difference_matches_wu_2018():
    # Wu et al. 2018 Medicine 97:e13845: HAM-A difference taVNS vs sham -1.12, not
    # significant (CI not available); tolerance 1.5 points, and the HAM-A effect must stay
    # well below the HAMD-24 effect (-4.23) as published.
    means = _means("tavns_wu2018_pooled.yaml")
    hama, hamd = means["hama_difference_week4"], means["difference_week4"]
    assert hama == pytest.approx(-1.12, abs=1.5)
    assert hamd < 0.0 and abs(hama) < 0.6 * abs(hamd)  # taVNS helps, depression more


@pytest.mark.slow
def test_ketamine_hama_difference_within_kads_interval():
    # KADS cohort 1 (0.5 mg/kg twice weekly, n = 68): HAM-A difference vs midazolam at
    # 4 weeks -1.4, 95% CI -8.6 to 3.2.
    assert -8.6 <= _means("ketamine_kads_anxiety.yaml")["hama_difference_week4"] <= 3.2


def test_labs_csv_biomarkers_load_and_inform_their_set_points(tmp_path):
    # Issue 15: the personal twin fits biomarker observations from labs.csv.
    import shutil
    from pathlib import Path

    from moodtwin.person import load_person
    from moodtwin.person._fit import fitted_parameters

    example = Path(__file__).resolve().parents[1] / "examples" / "person" / "synthetic_vns"
    folder = tmp_path / "p"
    shutil.copytree(example, folder)
    with (folder / "labs.csv").open("a", encoding="utf-8") as f:
        f.write("2024-01-08,ngf,25,pg/mL\n2024-01-08,plasma_bdnf,0.4,ng/mL\n"
                "2024-01-08,tnf,2.0,pg/mL\n2024-01-08,alpha_amylase,90,U/mL\n")
    record, report = load_person(folder)
    assert not report.errors, report.text()
    bio = record.biomarkers.set_index("observable")
    assert bio.loc["bdnf_plasma_pgml", "value"] == pytest.approx(400.0)  # ng/mL -> pg/mL
    names = fitted_parameters(record)
    assert {"ngf_serum_ref", "bdnf_plasma_ref", "saa_ref"} <= set(names)


def test_exposure_gains_are_largely_kept_years_later(run):
    # Resick et al. 2012 J Consult Clin Psychol 80:201: prolonged-exposure gains were
    # maintained 5-10 years later (mean 6.2 years): most of the PCL-5 fall at the end of
    # therapy is still there 6 years on.
    ex = {"type": "exposure_therapy", "at": ["1 week"], "repeat": {"every": "1 week", "count": 10}}
    r = run("320 week", ex, trauma_load=TRAUMA)
    base, post, later = (r.at("pcl5", h)[0] for h in (0.0, 12 * 7 * DAY, 320 * 7 * DAY))
    assert post < 0.8 * base
    assert (base - later) > 0.6 * (base - post)


@pytest.mark.xfail(strict=True, reason="known model failure (README, Status): the fast fall "
                   "of HAM-A within an hour of ketamine came from relief by dissociation, "
                   "removed this round (Mathai et al. 2023); no drug-on-board anxiolytic "
                   "pathway with a sourced size replaces it yet")
def test_ketamine_lowers_anxiety_within_an_hour(run):
    # Glue et al. 2017 J Psychopharmacol 31:1302: patients reported reduced anxiety within
    # 1 h of a ketamine dose.
    r = run("1 d", KET)
    assert r.at("hama", 1.0)[0] < r.at("hama", 0.0)[0] - 0.5  # reduced, beyond noise


def test_vagal_drive_relieves_no_more_than_the_arousal_cluster_of_fear(run):
    # Outside exposure, vagal afferent drive relieves only the hyperarousal of conditioned
    # fear: alterations in arousal and reactivity are 6 of the 20 PCL-5 items (Blevins et al.
    # 2015 J Trauma Stress 28:489), and tcVNS lowered sympathetic responses to trauma cues
    # in PTSD (Gurel et al. 2020 Neurobiol Stress 13:100264). Two years of taVNS without
    # exposure: fear expression falls, by at most that share (cortisol's fall adds a little).
    weeks = "104 week"
    none = run(weeks, trauma_load=TRAUMA)
    stim = run(weeks, {"type": "tavns", "duration": weeks}, trauma_load=TRAUMA)
    end = 104 * 7 * DAY
    ratio = stim.at("fear_expression", end)[0] / none.at("fear_expression", end)[0]
    assert 1.0 - 6.0 / 20.0 - 0.03 <= ratio < 0.95
