"""Published anchors the single-patient model must reproduce (each cites its number)."""

from __future__ import annotations

import numpy as np
import pytest

from moodtwin import scales

KET = {"type": "ketamine_iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 d"]}
MID = {"type": "midazolam_iv", "at": ["0 d"]}
VNS = {"type": "vns", "titration": [{"at": f"{2 + 2 * i} week", "current": f"{0.25 * (i + 1)} mA"}
                                    for i in range(4)]}
DAY = 24.0


def test_ketamine_iv_peak_plasma_level(run):
    # Zarate 2006 via Zanos et al. 2018 Pharmacol Rev Table 1: Cmax 185 ng/mL after
    # 0.5 mg/kg over 40 min; Krystal 1994: 100-250 ng/mL for the same dose.
    r = run("2 d", KET)
    c = r["ketamine_conc"][0]
    assert 150.0 <= c.max() <= 250.0
    assert abs(r.t[np.argmax(c)] - 40 / 60) <= 0.1  # peak at the end of the infusion
    assert r.at("ketamine_conc", 4.0)[0] < 0.2 * c.max()  # t1/2,beta ~3 h (Kamp 2020)


@pytest.mark.parametrize(("dose", "published"), [(56, 72.5), (84, 101.0)])
def test_esketamine_cmax(run, dose, published):
    # Perez-Ruixo et al. 2021 Clin Pharmacokinet Table 4 (typical Cmax, ng/mL); Tmax
    # 20-40 min after the last spray (Spravato label via J&J Medical Connect).
    r = run("2 d", {"type": "esketamine_nasal", "dose": f"{dose} mg", "at": ["0 d"]})
    c = r["esketamine_conc"][0]
    assert c.max() == pytest.approx(published, rel=0.15)
    assert 20 / 60 <= r.t[np.argmax(c)] <= 50 / 60


def test_nmda_block_partial_at_antidepressant_dose_and_near_full_when_anesthetic(run):
    # Research note design target: antidepressant dosing gives partial (~30-60%) block of the
    # pore site at peak; our dose limits stop at 1 mg/kg, so the anaesthetic check uses the
    # occupancy law directly at 5-10 uM (Zanos 2018: anaesthesia at 1200-2400 ng/mL).
    r = run("1 d", KET)
    peak = r["nmda_block"][0].max()
    assert 0.2 <= peak <= 0.6
    from moodtwin.model import default_model

    m = default_model()
    ki, fu = m.parameter("ki_pore").value, m.parameter("fu_ket").value
    assert fu * 7.5 / (fu * 7.5 + ki) > 0.8


def test_lc_rises_before_drn_under_vns(run):
    # Dorr & Debonnel 2006; Manta 2009: LC firing up after 1 day, DRN only after ~14 days
    # and only through LC input.
    r = run("8 week", {"type": "vns", "implant_at": "0 d", "start": "0 d", "current": "1 mA"})
    lc, drn = r["LC_gain"][0], r["DRN_gain"][0]
    lc_final, drn_final = lc[-1], drn[-1]
    assert r.at("LC_gain", 2 * DAY)[0] > 0.8 * lc_final
    assert r.at("DRN_gain", 1 * DAY)[0] < 0.05 * drn_final
    assert r.at("DRN_gain", 14 * DAY)[0] > 0.5 * drn_final
    t_half = lambda x: r.t[np.argmax(x >= 0.5 * x[-1])]  # noqa: E731
    assert t_half(lc) < 2 * DAY < 7 * DAY < t_half(drn) < 14 * DAY


def test_botulinum_muscle_effect_onset_peak_duration(run):
    # Beer et al. 2011: onset in 48% by day 1 and all by day 4 (20 U); Carruthers et al. 2023:
    # plateau for weeks, median duration 120 days at 20 U.
    r = run("200 d", {"type": "botulinum_glabellar", "units_per_site": "4 U", "sites": 5,
                      "at": ["0 d"]})
    par = r["paralysis"][0]
    peak = par.max()
    assert peak > 0.9
    assert r.at("paralysis", 1 * DAY)[0] > 0.4 * peak
    assert r.at("paralysis", 4 * DAY)[0] > 0.9 * peak
    assert r.at("paralysis", 60 * DAY)[0] > 0.75 * peak
    half = r.t[np.argmax((r.t > 10 * DAY) & (par < 0.5 * peak))] / DAY
    assert 100 <= half <= 140


@pytest.mark.xfail(strict=True, reason="known model failure (README, failing calibration "
                   "numbers: single ketamine infusion): with the shipped set the reference "
                   "patient's ketamine-minus-midazolam difference is -9.5 MADRS points at 24 h "
                   "(Murrough 2013: -7.7) and still -6.4 at day 14 (the check asks under 35 % "
                   "of day 1: superiority is lost by days 10-12, Kishimoto et al. 2016)")
def test_single_ketamine_relief_within_a_day_fading_within_two_weeks(run):
    # Murrough et al. 2013: MADRS -16.5 at 24 h (midazolam -8.8); Kishimoto et al. 2016:
    # superiority over placebo peaks at day 1 and is lost by days 10-12. Both arms blinded
    # at Murrough's 2:1 allocation (open label, the known-active arm alone would carry
    # expectancy for weeks).
    blind = {"mode": "blinded", "p_active": 2 / 3}
    k, m = run("4 week", KET, blinding=blind), run("4 week", MID, blinding=blind)
    base = k.at("madrs", 0)[0]
    change_k = k.at("madrs", DAY)[0] - base
    change_m = m.at("madrs", DAY)[0] - base
    assert -22.0 <= change_k <= -11.0
    assert -13.0 <= change_m <= -4.0
    drug_day1 = change_k - change_m
    drug_day14 = k.at("madrs", 14 * DAY)[0] - m.at("madrs", 14 * DAY)[0]
    assert drug_day1 < -4.0
    assert abs(drug_day14) < 0.35 * abs(drug_day1)
    assert k.at("madrs", 4.0)[0] < base - 1.0  # relief already within hours


def test_vns_benefit_accrues_over_months(run):
    # Rush et al. 2005 (D-02): no significant separation from sham after 10 weeks
    # (response 15.2% vs 10.0%); Marangell 2002 / Aaronson 2017: benefit grows over months.
    blind = {"mode": "blinded", "p_active": 0.5}  # D-02: 1:1, double blind
    v = run("52 week", VNS, background="continued", blinding=blind)
    s = run("52 week", {"type": "vns", "sham": True}, background="continued", blinding=blind)
    diff = lambda h: v.at("madrs", h)[0] - s.at("madrs", h)[0]  # noqa: E731
    assert abs(diff(12 * 7 * DAY)) < 5.0
    assert diff(52 * 7 * DAY) < 1.5 * diff(13 * 7 * DAY) < 0


@pytest.mark.xfail(strict=True, reason="known model failure (README, round 52): the reference "
                   "patient is the population's median, monoamine-insensitive since round 52, "
                   "and improves 23.5 % after a year of VNS (the check asks 25 %); the "
                   "population-level D-01 and registry numbers pass (validate)")
def test_a_year_of_vns_improves_the_reference_patient_by_a_quarter(run):
    # Marangell 2002 / Aaronson 2017: benefit grows over months; the quarter is assumed.
    v = run("52 week", VNS, background="continued", blinding={"mode": "blinded", "p_active": 0.5})
    assert v.at("madrs", 52 * 7 * DAY)[0] < 0.75 * v.at("madrs", 0)[0]


def test_tavns_session_does_not_raise_hrv_acutely(run):
    # Wolf et al. 2021 Psychophysiology: acute taVNS vs sham, vmHRV Hedges g 0.014
    # [-0.103, 0.132]. With a between-person RMSSD SD of ~15 ms (Nunan 2010 prior), the
    # session-induced change must stay below 0.132 * 15 ms.
    session = {"type": "tavns", "current": "4 mA", "duration": "1 d", "sessions_per_day": 1}
    real = run("1 d", session, save=np.arange(0, 24.01, 0.25))
    sham = run("1 d", {**session, "sham": True}, save=np.arange(0, 24.01, 0.25))
    # Session runs 08:00-08:30; compare RMSSD right after it with the value just before.
    i0, i1 = np.searchsorted(real.t, 8.0), np.searchsorted(real.t, 8.5)
    d_real = real["rmssd"][0, i1] - real["rmssd"][0, i0]
    d_sham = sham["rmssd"][0, i1] - sham["rmssd"][0, i0]
    assert abs(d_real - d_sham) < 0.132 * 15.0
    assert real["tavns_drive"][0].max() > 0  # the session did stimulate


def test_no_treatment_leaves_chronic_severity_stable(run):
    # Chronic TRD without treatment: the untreated steady state (burn-in) holds.
    r = run("52 week")
    madrs = r["madrs"][0]
    assert 30.0 <= madrs[0] <= 36.0
    assert np.ptp(madrs) < 0.5


def test_every_scale_finite_and_clipped_under_every_therapy(run):
    therapies = [KET, MID, VNS, {"type": "tavns", "duration": "4 week"},
                 {"type": "botulinum_glabellar", "at": ["0 d"]},
                 {"type": "esketamine_nasal", "dose": "84 mg", "at": ["0 d", "3 d"],
                  "repeat": {"every": "1 week", "count": 4}}]
    for th in therapies:
        r = run("16 week", th)
        r_noisy = type(r)(**{**r.__dict__, "fluctuation": r.fluctuation + 25.0})
        for name in scales.SCALES:
            for res in (r, r_noisy):
                assert np.all(np.isfinite(res.score(name))), name
        # the observed score is the latent one plus the fluctuation, held at the scale's ends
        # (the range itself is guaranteed by that clipping, so it is not re-checked here)
        np.testing.assert_allclose(r_noisy.score("MADRS"), np.minimum(
            60.0, np.maximum(0.0, r["madrs"] + r.fluctuation[:, :, 0] + 25.0)))


def test_failed_integration_is_one_clear_error(model):
    from moodtwin.errors import IntegrationError
    from moodtwin.protocols import parse_protocol
    from moodtwin.simulation import SolverOptions, simulate

    proto = parse_protocol({"name": "x", "duration": "1 week", "therapies": [KET]})
    with pytest.raises(IntegrationError, match="maximum number of solver steps"):
        simulate(proto, options=SolverOptions(max_steps=20))
    r = simulate(proto, options=SolverOptions(max_steps=20), throw=False)
    assert r.failures() and r.failures()[0][0] == 0
