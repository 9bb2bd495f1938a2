"""Chronic insomnia in trials: a population reaches its requested baseline PSQI through the
conditioned insomnia arousal (sleep mechanism), vagal afferent drive relieves it, the
relief lasts, and bad sleep baselines give one-line errors."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from moodtwin import run_trial
from moodtwin.errors import MoodtwinError
from moodtwin.population import PopulationSpec, generate_population, load_population_spec
from moodtwin.population._generate import PSQI_TOLERANCE

ROOT = Path(__file__).resolve().parents[1]
ZHANG = ROOT / "src" / "moodtwin" / "data" / "trials" / "tavns_zhang2024_insomnia_psqi.yaml"
INSOMNIA = {"baseline": {"mean": 12.0, "sd": 4.0, "min": 2, "max": 25},
            "failed_treatments": {"mean": 0.0, "min": 0, "max": 0},
            "sleep_baseline": {"mean": 14.0, "sd": 2.0, "min": 10, "max": 18}}


def test_population_reaches_requested_psqi_and_keeps_its_madrs(untreated) -> None:
    pop = generate_population(PopulationSpec().merged(INSOMNIA), 12, seed=3)
    assert len(pop) == 12 and not pop.excluded
    c = pop.covariates
    assert (c["insomnia_load"] > 0).sum() >= 10 and c["insomnia_load"].max() < 3.0
    psqi, madrs = untreated(pop, 28.0, "psqi", "madrs")
    # a steady state: the PSQI asked for at entry and 4 weeks later (no patient here sleeps
    # worse from depression alone than asked, so every one reaches it exactly)
    np.testing.assert_allclose(psqi[:, 0], c["baseline_psqi"], atol=10 * PSQI_TOLERANCE)
    np.testing.assert_allclose(psqi[:, 1], c["baseline_psqi"], atol=10 * PSQI_TOLERANCE)
    assert np.all((c["baseline_psqi"] >= 10) & (c["baseline_psqi"] <= 18))
    # sleep feeds mood, and the depression baseline was solved again around it
    np.testing.assert_allclose(madrs[:, 0], c["baseline_madrs"], atol=0.5)


def test_without_sleep_baseline_nobody_has_insomnia_arousal() -> None:
    pop = generate_population(PopulationSpec(), 4, seed=3)
    assert "baseline_psqi" not in pop.covariates and "insomnia_load" not in pop.covariates
    assert np.all(pop.table[:, pop.model.parameter_index["insomnia_load"]] == 0.0)


def test_a_patient_whose_depression_already_sleeps_worse_keeps_no_load(untreated) -> None:
    spec = PopulationSpec().merged({**INSOMNIA, "baseline": {"mean": 40.0, "sd": 1.0,
                                                             "min": 38, "max": 42},
                                    "sleep_baseline": {"mean": 4.0, "sd": 0.01}})
    pop = generate_population(spec, 3, seed=1)
    assert len(pop) == 3
    assert np.all(pop.covariates["insomnia_load"] == 0.0)
    # the covariate reports the PSQI the patient has, not the 4.0 asked for
    assert np.all(pop.covariates["baseline_psqi"] > 4.1)
    psqi, = untreated(pop, 1.0, "psqi")
    np.testing.assert_allclose(psqi[:, 0], pop.covariates["baseline_psqi"], atol=0.01)


@pytest.mark.parametrize(("value", "words"), [
    ({"mean": 25, "sd": 3}, ["sleep_baseline", "25", "21"]),
    ({"mean": 14, "sd": 3, "min": -2}, ["sleep_baseline", "-2", "0-21"]),
    ({"scale": "ISI", "mean": 14, "sd": 3}, ["sleep_baseline.scale", "ISI", "PSQI"]),
    ({"mean": 14, "sd": -1}, ["sleep_baseline.sd", "-1"]),
])
def test_bad_sleep_baseline_gives_one_line(value: dict, words: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pop.yaml"
        path.write_text(yaml.safe_dump({"sleep_baseline": value}))
        with pytest.raises(MoodtwinError) as exc:
            load_population_spec(path)
    msg = str(exc.value)
    assert msg and "\n" not in msg, msg
    assert all(w in msg for w in words), msg


def test_zhang_2024_tavns_beats_sham_on_psqi_and_the_gain_lasts() -> None:
    # Zhang et al. 2024 JAMA Netw Open 7:e2451217: taVNS minus sham at week 8 -4.2 PSQI
    # (95 % CI -5.9 to -2.6, SE 0.84). The relief rate is fitted to this number jointly with
    # Jiao et al. 2020's null result (benchmarks/calibration/insomnia_relief.py), so this
    # checks the fit at a fresh seed with validate's rule (|z| <= 1.96 against the published
    # and the simulated SE). The follow-up to week 20 without stimulation was not read; the
    # model keeps most of the gain there, as behavioural insomnia treatment does (van Straten
    # et al. 2018).
    replicates = 4
    result = run_trial(ZHANG, seed=11, replicates=replicates)
    s = result.summary().set_index(["endpoint", "arm"])
    diff = s.loc[("psqi_difference_week8", "tavns vs sham"), "mean"]
    e = result.endpoints
    per_replicate = e.loc[e["endpoint"] == "psqi_difference_week8", "estimate"]
    assert len(per_replicate) == replicates
    se_sim = float(per_replicate.std(ddof=1)) / np.sqrt(replicates)
    assert abs(diff - (-4.2)) <= 1.96 * np.hypot(0.84, se_sim)
    week20 = (s.loc[("psqi_change_week20", "tavns"), "mean"]
              - s.loc[("psqi_change_week20", "sham"), "mean"])
    assert week20 < 0.5 * diff
