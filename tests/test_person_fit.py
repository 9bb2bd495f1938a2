"""Personal twin, fit: likelihood pieces checked against references; recovery of known
parameters from synthetic people; non-identifiability warnings."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from moodtwin.parameter_sets import calibrated_model
from moodtwin.person import fit_person, fitted_parameters, person_prior
from moodtwin.person._likelihood import FIT_OPTIONS, _normal_offset, recall_loglik
from moodtwin.person._schema import PersonRecord
from moodtwin.person._synthetic import synthetic_record
from moodtwin.protocols import parse_protocol
from moodtwin.scales import recall_windows
from moodtwin.simulation import SolverOptions, simulate

WEEK = 168.0
AD_START = {"name": "new antidepressant", "duration": "10 week",
            "therapies": [{"type": "oral_antidepressant", "action": "start", "at": ["0 d"]}]}


def _recall_covariance(t: np.ndarray, tau: float) -> np.ndarray:
    """Covariance of the means of a unit OU process (correlation time tau) over each rating's
    recall window (the week before it, or since the previous rating), in closed form: a window
    mean has variance 2 (tau/w)^2 (w/tau - 1 + exp(-w/tau)); two disjoint windows covary by
    tau^2/(w_i w_j) (1 - exp(-w_i/tau)) (1 - exp(-w_j/tau)) exp(-gap/tau)."""
    times = np.unique(t)
    w = recall_windows(times)
    k = np.searchsorted(times, t)
    cov = np.empty((len(t), len(t)))
    for i, a in enumerate(k):
        for j, b in enumerate(k):
            if a == b:
                cov[i, j] = 2 * (tau / w[a]) ** 2 * (w[a] / tau - 1 + np.exp(-w[a] / tau))
            else:
                lo, hi = min(a, b), max(a, b)
                cov[i, j] = (tau**2 / (w[lo] * w[hi]) * (1 - np.exp(-w[lo] / tau))
                             * (1 - np.exp(-w[hi] / tau))
                             * np.exp(-((times[hi] - w[hi]) - times[lo]) / tau))
    return cov


def test_kalman_likelihood_equals_multivariate_normal_of_recall_means() -> None:
    """The filter against the dense Gaussian of the same observation process
    (:func:`moodtwin.simulation.simulate`'s): weekly, daily and irregular ratings, two scales
    on the same day sharing one recall mean."""
    rng = np.random.default_rng(0)
    t = np.sort(np.concatenate([rng.uniform(0, 2000, 15), 2100 + 24.0 * np.arange(6),
                                2400 + 168.0 * np.arange(4)]))
    t = np.insert(t, 5, t[4])  # two scales on the same day share the fluctuation
    q = rng.uniform(0.05, 0.5, len(t))
    sd, tau, rating = np.array([1.7, 4.0]), np.array([24.0, 200.0]), np.array([1.8, 0.5])
    resid = rng.normal(0, 2, (2, len(t)))
    got = recall_loglik(resid, t, q, sd, tau, rating)
    for i in range(2):
        cov = sd[i] ** 2 * _recall_covariance(t, tau[i]) + np.diag(q + rating[i] ** 2)
        want = stats.multivariate_normal(np.zeros(len(t)), cov).logpdf(resid[i])
        assert got[i] == pytest.approx(want, rel=1e-9)


def test_recall_averaging_matches_the_simulated_observation_process() -> None:
    """Weekly ratings of a day-scale fluctuation: the variance the likelihood assumes is the
    one :func:`moodtwin.simulation.simulate` draws (Monte-Carlo, 4,000 patients)."""
    from moodtwin.model import default_model
    from moodtwin.simulation import _fluctuation, parameter_table

    model = default_model()
    params = parameter_table({}, model, 4000)
    t = 168.0 * np.arange(1, 6)
    fl = _fluctuation(model, params, t, seed=3)[:, :, 0]
    d = model.defaults()
    cov = (d["daily_sd"] ** 2 * _recall_covariance(t, d["daily_corr_time"])
           + d["rating_sd"] ** 2 * np.eye(len(t)))
    assert np.allclose(np.cov(fl.T), cov, atol=0.1 * cov[0, 0])


def test_integrated_scale_parameter_matches_quadrature() -> None:
    r = np.array([[0.3, -0.1, 0.5]])
    sd = np.array([0.2, 0.3, 0.25])
    mean, post_sd, log_ml = _normal_offset(r, sd, 0.1, 0.4)

    def joint(u: float) -> float:
        return stats.norm(0.1, 0.4).pdf(u) * np.prod(stats.norm(u, sd).pdf(r[0]))

    ml = integrate.quad(joint, -5, 5)[0]
    assert log_ml[0] == pytest.approx(np.log(ml), rel=1e-8)
    m1 = integrate.quad(lambda u: u * joint(u), -5, 5)[0] / ml
    assert mean[0] == pytest.approx(m1, rel=1e-6)
    m2 = integrate.quad(lambda u: (u - m1) ** 2 * joint(u), -5, 5)[0] / ml
    assert post_sd == pytest.approx(np.sqrt(m2), rel=1e-6)


def test_fit_solver_tolerance_is_accurate_enough() -> None:
    proto = parse_protocol({**AD_START, "therapies": [
        {"type": "ketamine_iv", "dose": "0.5 mg/kg", "at": ["0 d", "2 d", "4 d"]}]})
    t = np.arange(0, 10 * WEEK, 24.0)
    fine = simulate(proto, save_times_h=t, options=SolverOptions(rtol=1e-8, atol=1e-11))
    fit = simulate(proto, save_times_h=t, options=FIT_OPTIONS)
    assert np.max(np.abs(fine["madrs"] - fit["madrs"])) < 0.01  # MADRS points


def _person(i: int, truth: dict[str, float]) -> PersonRecord:
    scores = [(w * WEEK, "MADRS") for w in range(11)] + [(w * WEEK + 84, "PHQ9")
                                                        for w in range(10)]
    record, _ = synthetic_record(AD_START, truth, scores=sorted(scores), seed=100 + i)
    return record


def test_fit_recovers_known_parameters_with_calibrated_intervals() -> None:
    """Coverage of 90 % intervals over a small batch of synthetic people drawn from the prior
    (12 cases: 4 people x 3 parameters). The binomial(12, 0.9) probability of fewer than 9
    covered is 2.6 %, so a well-calibrated fit passes and a miscalibrated one fails."""
    probe = _person(0, {})
    names = fitted_parameters(probe)
    assert names == ["vulnerability", "daily_sd", "ad_serotonin"]
    prior = person_prior(names, calibrated_model())
    rng = np.random.default_rng(5)
    covered, shrink = [], []
    for i in range(4):
        truth = {k: float(v[0]) for k, v in prior.values(prior.sample(rng, 1)).items()}
        fit = fit_person(_person(i, truth), walkers=12, steps=120, burn=60, seed=i)
        s = fit.summary.set_index("parameter")
        covered += [s.loc[n, "q5"] <= truth[n] <= s.loc[n, "q95"] for n in names]
        shrink.append(s.loc["vulnerability", "sd_ratio"])
    assert sum(covered) >= 9, covered
    assert max(shrink) < 0.5  # ten weeks of scores pin down baseline severity


def test_unidentified_parameter_is_flagged() -> None:
    """VNS implanted but switched on after the last score: nothing informs k_LC."""
    proto = {**AD_START, "background": {"oral_antidepressant": "continued"}, "therapies": [
        {"type": "vns", "implant_at": "0 d", "start": "9 week", "current": "1 mA"}]}
    record, _ = synthetic_record(proto, {}, scores=[(w * WEEK, "MADRS") for w in range(9)],
                                 seed=3)
    fit = fit_person(record, walkers=16, seed=0)  # default steps: a converged chain
    assert any("do not identify k_LC" in w for w in fit.warnings), fit.summary
    assert not any("do not identify vulnerability" in w for w in fit.warnings)


def test_a_posterior_piled_up_at_a_bound_is_flagged() -> None:
    """New-user audit (round 40): a fit whose k_LC posterior sat at the top of its range
    (90 % upper end 19.6 of 20) said nothing, and forecasts used it. A tenth of the draws
    within 2 % of the range next to a bound flags it; a posterior inside the range does not."""
    from moodtwin.person._fit import _at_bound

    rng = np.random.default_rng(0)
    inside = rng.normal(0.0, 0.5, 4000)
    assert _at_bound(inside, -3.0, 3.0) == ""
    top = np.minimum(rng.normal(2.9, 0.3, 4000), 3.0)
    assert _at_bound(top, -3.0, 3.0) == "upper"
    assert _at_bound(-top, -3.0, 3.0) == "lower"
