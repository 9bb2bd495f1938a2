"""Bayesian fit of a person's parameters with the population model as prior.

The model is a stiff ODE system compiled with numba (no automatic gradients), so the sampler
is ``emcee``'s ensemble sampler with ``vectorize=True``: every half-step simulates its
walkers in one batched engine call. Its differential-evolution moves (ter Braak & Vrugt
2008; 80 % DE, 20 % DE-snooker) mixed about twice as fast as the default stretch move on
these posteriors. Walkers start at the best of a batch of prior draws. Pure scale parameters
of observables are integrated out exactly (:mod:`moodtwin.person._likelihood`) and drawn
from their conditional posterior afterwards. Convergence is reported with ArviZ (split R-hat
and bulk ESS, walkers as chains) and emcee's integrated autocorrelation time; a parameter
whose posterior SD is more than 0.9 of its prior SD is flagged as not identified by the
data.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from moodtwin.errors import ValidationError
from moodtwin.extras import require
from moodtwin.parameter_sets import ParametersLike, resolve
from moodtwin.person._likelihood import SCALE_PARAMETERS, Likelihood
from moodtwin.person._prior import Prior, person_prior
from moodtwin.person._schema import PersonRecord
from moodtwin.protocols import Protocol

#: Which parameter carries a person's sensitivity to each therapy in the history.
THERAPY_PARAMETERS = {
    "vns": "k_LC", "tavns": "k_LC", "tcvns": "k_LC", "ketamine_iv": "k_syn",
    "ketamine": "k_syn", "esketamine_iv": "k_syn", "esketamine_nasal": "k_syn",
    "botulinum_glabellar": "w_amygdala", "oral_antidepressant": "ad_serotonin",
    "treatment_as_usual": "ad_serotonin", "midazolam_iv": "placebo_responsiveness",
    "saline_iv": "placebo_responsiveness", "exposure_therapy": "k_ext", "stressor": "k_stressor",
}
#: Which set point each biomarker observation informs.
BIOMARKER_PARAMETERS = {
    "bdnf_serum_ngml": "bdnf_serum_ref", "crp_mgl": "infl_base", "il6_pgml": "infl_base",
    "cortisol_ugdl": "stress_base", "rmssd": "rmssd_ref",
    "bdnf_plasma_pgml": "bdnf_plasma_ref", "ngf_serum_pgml": "ngf_serum_ref",
    "tnf_pgml": "infl_base", "salivary_amylase": "saa_ref", "pupil_diameter": "pupil_ref",
}
#: Posterior contraction 1 - (posterior SD / prior SD)^2 below which a parameter counts as
#: not identified by the data (Betancourt 2018, "Calibrating model-based inferences and
#: decisions", arXiv:1803.08393: contraction near 0 = the data add nothing to the prior).
#: 0.25 leaves room for the Monte Carlo error of the posterior SD (~5 % at ESS ~200).
MIN_CONTRACTION = 0.25


def therapy_parameters(protocol: Protocol) -> list[str]:
    """Sensitivity parameters of the therapies in ``protocol`` (sham/placebo forms map to
    ``placebo_responsiveness``)."""
    out = []
    for th in protocol.therapies:
        sham = bool(getattr(th, "sham", False) or getattr(th, "placebo", False))
        name = "placebo_responsiveness" if sham else THERAPY_PARAMETERS[th.type]
        if name not in out:
            out.append(name)
    return out


def fitted_parameters(record: PersonRecord) -> list[str]:
    """The person-level parameters a record can inform, in a fixed order."""
    names = ["vulnerability", "daily_sd"]
    if (record.scores["scale"].isin(["HAMA", "GAD7"])).any():
        names.insert(1, "anx_vulnerability")
    names += therapy_parameters(record.protocol)
    for obs in record.biomarkers["observable"].unique():
        name = BIOMARKER_PARAMETERS[obs]
        if name not in names:
            names.append(name)
    return names


@dataclass
class PersonFit:
    """Posterior of one person's parameters.

    ``chain`` is (walkers, kept steps, d) in the prior's transformed space; ``draws`` the
    flattened chain in model units; ``summary`` one row per parameter (prior and posterior
    median and 90 % interval, SD ratio, R-hat, ESS); ``warnings`` plain sentences.
    """

    record: PersonRecord
    prior: Prior
    chain: np.ndarray
    log_prob: np.ndarray
    summary: pd.DataFrame
    warnings: list[str]
    seconds: float
    settings: dict[str, object] = field(default_factory=dict)

    @property
    def draws(self) -> pd.DataFrame:
        flat = self.chain.reshape(-1, self.prior.dim)
        return pd.DataFrame(self.prior.values(flat))

    def save(self, out: str | Path) -> list[Path]:
        """Write posterior draws, the summary and the diagnostics to ``out``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "posterior_draws.csv", out / "posterior_summary.csv", out / "fit.json"]
        self.draws.to_csv(paths[0], index=False)
        self.summary.to_csv(paths[1], index=False)
        info = {"person": self.record.id, "prior": self.prior.source,
                "parameters": list(self.prior.names), "warnings": self.warnings,
                "seconds": round(self.seconds, 2), **self.settings,
                "max_rhat": float(self.summary["rhat"].max()),
                "min_ess_bulk": float(self.summary["ess_bulk"].min())}
        paths[2].write_text(json.dumps(info, indent=2))
        return paths


def fit_person(
    record: PersonRecord, *, walkers: int | None = None, steps: int = 300, burn: int = 150,
    seed: int = 0, parameters: ParametersLike = None,
    population: Mapping[str, np.ndarray] | None = None,
    progress: Callable[[str], None] | None = None,
) -> PersonFit:
    """Sample the posterior of the person's parameters (see the module docstring).

    ``walkers`` defaults to max(16, 3 x sampled parameters); ``steps`` ensemble steps in all,
    of which the first ``burn`` are discarded. ``parameters``: the
    :class:`~moodtwin.ParameterSet` whose values centre the prior (default: the calibrated
    set).
    """
    require("person")
    import emcee

    if not 0 <= burn < steps:
        raise ValidationError(f"burn ({burn}) must be in [0, steps) with steps = {steps}.")
    model = record.model_for(resolve(parameters).model)
    names = fitted_parameters(record)
    prior = person_prior(names, model, population)
    idx = [i for i, n in enumerate(names) if n not in SCALE_PARAMETERS]
    sampled = Prior(tuple(names[i] for i in idx), tuple(prior.transforms[i] for i in idx),
                    prior.mean[idx], prior.cov[np.ix_(idx, idx)], prior.low[idx],
                    prior.high[idx], prior.source, prior.xlow[idx], prior.xhigh[idx])
    scaled = [i for i, n in enumerate(names) if n in SCALE_PARAMETERS]
    like = Likelihood(model, record, {names[i]: (prior.mean[i], prior.sd[i]) for i in scaled})
    walkers = walkers or max(16, 3 * sampled.dim)
    walkers += walkers % 2
    if walkers < 2 * sampled.dim:
        raise ValidationError(f"walkers ({walkers}) must be at least twice the number of "
                              f"sampled parameters ({sampled.dim}).")
    rng = np.random.default_rng(seed)
    start, cpu = time.perf_counter(), time.process_time()

    def log_prob(z: np.ndarray) -> np.ndarray:
        lp = sampled.logpdf(z)
        blobs = np.zeros((len(z), 2 * len(scaled)))
        ok = np.isfinite(lp)
        if ok.any():
            ll, blobs[ok] = like.evaluate(sampled.values(z[ok]))
            lp[ok] += ll
        return np.column_stack([lp, blobs])

    candidates = sampled.sample(rng, 4 * walkers)
    lp0 = log_prob(candidates)[:, 0]
    best = np.argsort(-lp0)[:walkers]
    if not np.all(np.isfinite(lp0[best])):
        raise ValidationError("the record cannot be reproduced by the model for most prior "
                              "draws (integration failures); check the data report.")
    sampler = emcee.EnsembleSampler(walkers, sampled.dim, log_prob, vectorize=True, moves=[
        (emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)])
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31))).get_state()
    report_every = max(1, steps // 5)
    for i, _ in enumerate(sampler.sample(candidates[best], iterations=steps), start=1):
        if progress and i % report_every == 0:
            progress(f"  step {i}/{steps} ({time.perf_counter() - start:.0f} s, acceptance "
                     f"{np.mean(sampler.acceptance_fraction):.2f})")
    chain = np.empty((walkers, steps - burn, prior.dim))
    chain[:, :, idx] = np.swapaxes(sampler.get_chain(discard=burn), 0, 1)
    if scaled:  # exact conditional draws of the integrated-out scale parameters
        blobs = np.swapaxes(sampler.get_blobs(discard=burn), 0, 1)
        for j, i in enumerate(scaled):
            z = blobs[:, :, 2 * j] + blobs[:, :, 2 * j + 1] * rng.standard_normal(
                chain.shape[:2])
            chain[:, :, i] = np.clip(z, prior.low[i], prior.high[i])
    log_p = sampler.get_log_prob(discard=burn).T
    seconds = time.perf_counter() - start
    summary, notes = _diagnose(prior, chain, rng)
    settings = {"walkers": walkers, "steps": steps, "burn": burn, "seed": seed,
                "cpu_seconds": round(time.process_time() - cpu, 2),
                "acceptance": float(np.mean(sampler.acceptance_fraction)),
                "integrated_out": [names[i] for i in scaled]}
    return PersonFit(record, prior, chain, log_p, summary, notes, seconds, settings)


def _diagnose(prior: Prior, chain: np.ndarray,
              rng: np.random.Generator) -> tuple[pd.DataFrame, list[str]]:
    import emcee

    with warnings.catch_warnings():
        # ArviZ 0.2x announces its 1.0 refactor once a day on import (a FutureWarning)
        warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing", category=FutureWarning)
        import arviz as az
        # short runs: ArviZ notes more chains (walkers) than draws, emcee a short chain
        warnings.filterwarnings("ignore", message="More chains", category=UserWarning)
        warnings.filterwarnings("ignore", message="invalid value encountered in divide",
                                category=RuntimeWarning)  # emcee: a constant (stuck) chain
        idata = az.from_dict(posterior={n: chain[:, :, i] for i, n in enumerate(prior.names)})
        rhat = az.rhat(idata)
        ess = az.ess(idata)
        tau = emcee.autocorr.integrated_time(np.swapaxes(chain, 0, 1), quiet=True, tol=0)
    prior_draws = prior.sample(rng, 4000)
    prior_values = prior.values(prior_draws)
    flat = chain.reshape(-1, prior.dim)
    post_values = prior.values(flat)
    rows, notes = [], []
    for i, name in enumerate(prior.names):
        ratio = float(np.std(flat[:, i]) / np.std(prior_draws[:, i]))
        pq = np.quantile(prior_values[name], [0.05, 0.5, 0.95])
        q = np.quantile(post_values[name], [0.05, 0.5, 0.95])
        rows.append({"parameter": name, "prior_median": pq[1], "prior_5": pq[0],
                     "prior_95": pq[2], "median": q[1], "q5": q[0], "q95": q[2],
                     "sd_ratio": ratio, "rhat": float(rhat[name]),
                     "ess_bulk": float(ess[name]), "autocorr_steps": float(tau[i])})
        if 1.0 - ratio**2 < MIN_CONTRACTION:
            notes.append(f"the data do not identify {name}: its posterior, which forecasts "
                         f"draw from, is nearly as wide as its prior (SD ratio {ratio:.2f}, "
                         f"contraction {1 - ratio**2:.2f} < {MIN_CONTRACTION}).")
        edge = _at_bound(flat[:, i], prior.low[i], prior.high[i])
        if edge:
            bound = prior.xhigh[i] if edge == "upper" else prior.xlow[i]
            notes.append(f"{name} piles up at the {edge} end of its plausible range "
                         f"({bound:g}; posterior 5-95 % {q[0]:.3g}-{q[2]:.3g}): the model "
                         "strains to fit this record, and forecasts that depend on it are "
                         "unreliable.")
        if float(rhat[name]) > 1.1:
            notes.append(f"{name} has not converged (R-hat {float(rhat[name]):.2f} > 1.1); "
                         "run more steps (--steps).")
    return pd.DataFrame(rows), notes


#: Share of the (transformed) plausible range next to a bound in which a posterior counts as
#: piled up at that bound when a tenth of its draws lie there.
EDGE_ZONE = 0.02


def _at_bound(z: np.ndarray, low: float, high: float) -> str:
    """'upper' or 'lower' when a tenth of the draws ``z`` (transformed scale) lie within
    :data:`EDGE_ZONE` of the range next to that truncation bound, else ''."""
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        return ""
    zone = EDGE_ZONE * (high - low)
    if np.mean(z >= high - zone) >= 0.1:
        return "upper"
    if np.mean(z <= low + zone) >= 0.1:
        return "lower"
    return ""


def load_fit(folder: str | Path, record: PersonRecord,
             parameters: ParametersLike = None) -> PersonFit:
    """A saved fit (``posterior_draws.csv`` etc. in ``folder``) for ``record``."""
    folder = Path(folder)
    try:
        info = json.loads((folder / "fit.json").read_text())
        draws = pd.read_csv(folder / "posterior_draws.csv")
        summary = pd.read_csv(folder / "posterior_summary.csv")
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{folder}: not a fit folder written by 'moodtwin fit' "
                              f"({exc}).") from None
    if info.get("person") != record.id or list(draws.columns) != info["parameters"]:
        raise ValidationError(f"{folder}: the saved fit is for person {info.get('person')!r} "
                              f"with parameters {info.get('parameters')}, not this record.")
    model = record.model_for(resolve(parameters).model)
    prior = person_prior(info["parameters"], model)
    chain = prior.transform({n: draws[n].to_numpy() for n in draws.columns})[None]
    return PersonFit(record, prior, chain, np.zeros(chain.shape[:2]), summary,
                     list(info["warnings"]), float(info["seconds"]),
                     {k: info[k] for k in ("walkers", "steps", "burn", "seed") if k in info})
