"""BDNF Val66Met genotype as a source of ketamine-response heterogeneity (neurotrophic
mechanism), checked against its sources."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodtwin.population import PopulationSpec, generate_population
from moodtwin.trials import load_trial, run_trial

TRIALS = Path(__file__).resolve().parents[1] / "examples" / "trials"


def test_met_carrier_share_follows_the_trial_population() -> None:
    """Laje et al. 2012 Biol Psychiatry 72:e27: 21 of 62 patients (mostly European ancestry)
    carried a Met allele, the default share; a trial of another ancestry sets its own."""
    default = generate_population(PopulationSpec(), 600, seed=1)
    share = float(default.covariates["bdnf_met"].mean())
    assert abs(share - 21 / 62) < 3 * np.sqrt(0.34 * 0.66 / 600), share
    east = generate_population(PopulationSpec(bdnf_met_carriers=0.7), 600, seed=1)
    assert abs(float(east.covariates["bdnf_met"].mean()) - 0.7) < 0.06
    table = default.table[:, default.model.parameter_index["bdnf_met"]]
    assert set(np.unique(table)) == {0.0, 1.0}
    assert np.array_equal(table == 1.0, default.covariates["bdnf_met"].to_numpy())


@pytest.fixture(scope="module")
def murrough():
    """A virtual Murrough 2013 trial (ketamine vs midazolam, 2:1) with 600 patients."""
    return run_trial(load_trial(TRIALS / "ketamine_murrough2013.yaml"), seed=7, n=600).first


def test_met_carriers_improve_less_after_ketamine_and_alike_after_midazolam(murrough) -> None:
    """Laje et al. 2012 (62 patients given 0.5 mg/kg ketamine): Met carriers improved less
    (genotype x time F = 5.59, p = 0.0007); Chen et al. 2021 Asian J Psychiatr 66:102869: only
    patients with a Val allele were more likely to respond. The allele is not a risk factor
    for depression (Kishi et al. 2018 Front Psychiatry 8:308), so it must not matter without
    a ketamine-class drug: on midazolam the genotypes change alike (within 2 MADRS points)."""
    d = murrough
    x = d.observed["MADRS"]
    change = x[:, d.visit(24.0)] - x[:, 0]
    met = d.patients["bdnf_met"].to_numpy(dtype=bool)
    arm = d.patients["arm"].to_numpy()
    ket, mid = arm == "ketamine", arm == "midazolam"
    ket_val, ket_met = np.nanmean(change[ket & ~met]), np.nanmean(change[ket & met])
    assert ket_met - ket_val > 2.0, (ket_val, ket_met)
    responded = x[:, d.visit(24.0)] <= 0.5 * x[:, 0]
    assert responded[ket & ~met].mean() > responded[ket & met].mean()
    assert abs(np.nanmean(change[mid & met]) - np.nanmean(change[mid & ~met])) < 2.0


def test_a_met_carriers_restored_spines_fade_faster_and_repeated_doses_keep_the_gap() -> None:
    """Spines need BDNF to persist (Gorski et al. 2003 J Neurosci 23:6856; a neuron's spine
    density follows its functional Bdnf alleles in adulthood, English et al. 2012 PNAS
    109:19456), so a Met carrier loses restored spines faster; and repeated infusions must
    not merge poor and good responders (O'Brien et al. 2021/2023: a quarter to a third of
    patients improve little over a three- to six-infusion course)."""
    from moodtwin import parse_protocol, simulate

    course = {"name": "six", "duration": "3 week", "therapies": [
        {"type": "ketamine_iv", "dose": "0.5 mg/kg", "infusion": "40 min",
         "at": ["0 d", "2 d", "4 d"], "repeat": {"every": "1 week", "count": 2}}]}
    single = {**course, "therapies": [{**course["therapies"][0], "at": ["0 d"]}]}
    del single["therapies"][0]["repeat"]
    t = np.arange(0.0, 21 * 24 + 1, 6.0)

    def restored(protocol: dict, met: float) -> np.ndarray:
        r = simulate(parse_protocol(protocol), {"bdnf_met": met}, save_times_h=t)
        return r["synapses"][0] - r["synapses"][0][0]

    def half_life(gain: np.ndarray) -> float:
        k = int(np.argmax(gain))
        return float(t[k:][gain[k:] <= gain[k] / 2][0] - t[k])

    val, met = restored(single, 0.0), restored(single, 1.0)
    assert half_life(met) < 0.6 * half_life(val), (half_life(met), half_life(val))
    val6, met6 = restored(course, 0.0), restored(course, 1.0)
    day12 = int(np.searchsorted(t, 12 * 24))
    assert met6[day12] < 0.33 * val6[day12], (met6[day12], val6[day12])
