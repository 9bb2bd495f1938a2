"""PTSD patients in trials: a population reaches its requested baseline PCL-5, the tcVNS
therapy type drives the afferent input, PCL-5 endpoints, and one-line errors."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from moodtwin.errors import MoodtwinError
from moodtwin.parameter_sets import resolve
from moodtwin.population import PopulationSpec, generate_population, load_population_spec
from moodtwin.population._generate import PCL5_TOLERANCE
from moodtwin.protocols import compile_protocol, parse_protocol
from moodtwin.simulation import simulate
from moodtwin.trials import load_trial

ROOT = Path(__file__).resolve().parents[1]
TRIAL = ROOT / "src" / "moodtwin" / "data" / "trials" / "tcvns_bremner2021_ptsd.yaml"


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert msg and "\n" not in msg, msg
    return msg


def test_population_reaches_requested_baseline_pcl5(untreated) -> None:
    spec = PopulationSpec().merged({"ptsd_baseline": {"mean": 40.0, "sd": 6.0, "min": 30,
                                                      "max": 50}})
    pop = generate_population(spec, 12, seed=3)
    assert len(pop) == 12 and not pop.excluded
    target = pop.covariates["baseline_pcl5"].to_numpy()
    assert np.all((target >= 30) & (target <= 50))
    assert 0 < pop.covariates["trauma_load"].min() < pop.covariates["trauma_load"].max() < 1
    pcl5, madrs = untreated(pop, 28.0, "pcl5", "madrs")
    # the baseline is a steady state: the requested PCL-5 at entry and 4 weeks later
    np.testing.assert_allclose(pcl5[:, 0], target, atol=10 * PCL5_TOLERANCE)
    np.testing.assert_allclose(pcl5[:, 1], target, atol=10 * PCL5_TOLERANCE)
    # the depression baseline is not moved by the trauma memory
    np.testing.assert_allclose(madrs[:, 0], pop.covariates["baseline_madrs"], atol=0.5)


def test_without_ptsd_baseline_nobody_has_a_trauma_memory() -> None:
    pop = generate_population(PopulationSpec(), 4, seed=3)
    assert "baseline_pcl5" not in pop.covariates and "trauma_load" not in pop.covariates
    it = pop.model.parameter_index["trauma_load"]
    assert np.all(pop.table[:, it] == 0.0)


def test_unreachable_pcl5_is_excluded_with_a_reason() -> None:
    spec = PopulationSpec().merged({"ptsd_baseline": {"mean": 79.0, "sd": 0.1, "min": 78.5,
                                                      "max": 79.5}})
    pop = generate_population(spec, 2, seed=1)
    assert len(pop) == 0 and len(pop.excluded) == 2
    assert "baseline PCL-5 79" in pop.excluded[0] and "trauma_load" in pop.excluded[0]


def _tcvns(**kw) -> object:
    return parse_protocol({"name": "t", "duration": "3 d",
                           "therapies": [{"type": "tcvns", **kw}]})


def test_tcvns_drives_the_afferent_input_only_during_doses() -> None:
    # doses at 08:00 and 20:00, each 2 x 2 min = 4 min
    t = np.array([7.9, 8.01, 8.06, 8.1, 20.03, 21.0, 32.03])
    on = simulate(_tcvns(), save_times_h=t)["afferent_drive"][0]
    assert np.all(on[[1, 2, 4, 6]] > 0.01)
    assert np.all(on[[0, 3, 5]] == 0.0)
    sham = simulate(_tcvns(sham=True), save_times_h=t)["afferent_drive"][0]
    assert np.all(sham == 0.0)
    low = simulate(_tcvns(level=0.3), save_times_h=t)["afferent_drive"][0]
    assert 0.0 < low[1] < on[1]
    m = resolve(None).model
    tl = compile_protocol(_tcvns(doses_per_day=3), m, m.defaults())
    j = [u.name for u in m.inputs].index("tavns_on")
    starts = tl.t[np.flatnonzero(np.diff(tl.u[:, j]) > 0) + 1]
    # every 8 h from 08:00; the dose at 72 h would end after the 3-day protocol
    np.testing.assert_allclose(starts, [8, 16, 24, 32, 40, 48, 56, 64])


@pytest.mark.parametrize(("therapies", "words"), [
    ([{"type": "tcvns", "level": 1.5}], ["therapies[0].level", "1.5"]),
    ([{"type": "tcvns", "stimulation": "20 min"}], ["stimulation", "20 min", "0.5–10 min"]),
    ([{"type": "tcvns", "doses_per_day": 9}], ["doses_per_day", "9"]),
    ([{"type": "tcvns"}, {"type": "tavns"}], ["tcvns", "tavns", "only one"]),
    ([{"type": "tcvns", "start": "4 d"}], ["start", "4 d"]),
])
def test_bad_tcvns_gives_one_line(therapies: list, words: list[str]) -> None:
    m = resolve(None).model
    with pytest.raises(MoodtwinError) as exc:
        p = parse_protocol({"name": "t", "duration": "3 d", "therapies": therapies})
        compile_protocol(p, m, m.defaults())
    msg = _one_line(exc)
    assert all(w in msg for w in words), msg


@pytest.mark.parametrize(("value", "words"), [
    ({"scale": "MADRS", "mean": 40, "sd": 5}, ["ptsd_baseline", "MADRS", "depression"]),
    ({"mean": 90, "sd": 5}, ["ptsd_baseline", "90", "0-80"]),
    ({"mean": 40, "sd": -1}, ["ptsd_baseline.sd", "-1"]),
])
def test_bad_ptsd_baseline_gives_one_line(value: dict, words: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pop.yaml"
        path.write_text(yaml.safe_dump({"ptsd_baseline": value}))
        with pytest.raises(MoodtwinError) as exc:
            load_population_spec(path)
    msg = _one_line(exc)
    assert all(w in msg for w in words), msg


def test_bremner_trial_rates_pcl5_and_is_a_validation_target() -> None:
    trial = load_trial(TRIAL)
    assert trial.role == "validation" and trial.scale == "PCL5"
    assert trial.population.ptsd_baseline is not None
    assert [a.name for a in trial.arms] == ["tcvns", "sham"]
    pub = trial.endpoints[0].published
    assert pub.value == -31.0  # Bremner et al. 2021 abstract: "31% greater reduction"


def test_trial_rates_pcl5_from_the_patients_baseline() -> None:
    from moodtwin.trials import run_replicate

    trial = load_trial(TRIAL)
    d = run_replicate(trial, np.random.SeedSequence(5), n=6)
    rated = d.observed["PCL5"]
    base = d.patients["baseline_pcl5"].to_numpy()
    # day 0: the latent baseline plus rater noise only (no day-to-day PTSD fluctuation)
    assert np.all(np.abs(rated[:, 0] - base) < 4 * trial.rater_noise + 1.0)
    assert np.isfinite(rated[:, -1]).all() and rated.shape[1] == 4
