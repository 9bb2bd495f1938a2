"""Prior of a person's parameters: the population model around the typical values.

Each person-level parameter is sampled in a transformed space (log for positive parameters,
linear otherwise) where the prior is normal, truncated to the parameter's plausible range.
The centre is the typical value of ``model`` (pass the calibrated model,
:func:`moodtwin.calibration.calibrated_model`, which the CLI does), or the population's
covariate median; the spread is the population model's between-patient variability
(``data/population.yaml``, the same numbers virtual trials draw from). Parameters the
population model does not vary take the assumed spread in :data:`SPREAD`. Pass
``population`` (draws of a population, by name) to :func:`person_prior` to use their mean and
covariance in the transformed space instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from moodtwin.errors import ValidationError
from moodtwin.model import Model
from moodtwin.population import variability_table

#: Transform and assumed between-person spread (SD in the transformed space) of each
#: parameter a personal fit may estimate, used where ``data/population.yaml`` has no
#: variability for it. Log-SD 0.4 means a 90 % range of x/1.9 to x*1.9.
SPREAD: dict[str, tuple[str, float, str]] = {
    "vulnerability": ("linear", 0.3, "assumed: baseline MADRS ~15-45 (90 %) at default weights"),
    "anx_vulnerability": ("linear", 0.35, "assumed: HAM-A SD ~6 at a given depression severity"),
    "daily_sd": ("log", 0.4, "assumed: day-to-day SD x/1.9 to x*1.9 of the typical value "
                              "(90 %)"),
    "k_LC": ("log", 0.6, "assumed: response to vagal afferent drive varies ~2.7-fold"),
    "k_syn": ("log", 0.4, "assumed: ketamine synaptogenesis varies ~1.9-fold"),
    "w_amygdala": ("log", 0.6, "assumed: facial-feedback weight varies ~2.7-fold"),
    "ad_serotonin": ("log", 0.7, "assumed: oral antidepressant effect varies ~3-fold"),
    "placebo_responsiveness": ("log", 0.5, "assumed: expectancy response varies ~2.3-fold"),
    "bdnf_serum_ref": ("log", 0.35, "assumed: serum BDNF between-person CV ~35 %"),
    "infl_base": ("log", 0.4, "assumed: IL-6/CRP set point varies ~1.9-fold"),
    "stress_base": ("log", 0.25, "assumed: cortisol set point between-person CV ~25 %"),
    "rmssd_ref": ("log", 0.4, "assumed: resting RMSSD between-person log-SD 0.4"),
    "bdnf_plasma_ref": ("log", 0.6, "assumed: plasma BDNF varies widely between people/assays"),
    "ngf_serum_ref": ("log", 0.6, "assumed: serum NGF varies widely between people/assays"),
    "saa_ref": ("log", 0.6, "assumed: salivary alpha-amylase between-person log-SD 0.6"),
    "pupil_ref": ("log", 0.22, "Schröder et al. 2018 Eur J Ophthalmol 28:150: resting pupil "
                               "4.03 +/- 0.9 mm at 16 lx (between-person CV ~22 %)"),
    "k_ext": ("log", 0.6, "assumed: extinction learning varies ~2.7-fold between people"),
    "k_stressor": ("log", 0.5, "assumed: stress reactivity varies ~2.3-fold between people"),
}


def population_spread(name: str, model: Model) -> tuple[str, float, float] | None:
    """(transform, centre in model units, SD in transformed space) of ``name``.

    From the population model (``data/population.yaml``): ``omega`` is a log-SD, ``sd`` a
    linear one; covariate models give their median (at 2 failed treatments, at age 40) as
    the centre. ``None`` when the population model does not vary ``name``.
    """
    info = variability_table()
    v = info["variability"].get(name)
    if v is not None:
        centre = model.parameter(name).value
        return ("log", centre, float(v["omega"])) if "omega" in v else (
            "linear", centre, float(v["sd"]))
    c = info["covariates"].get(name)
    if c is not None and "omega" in c:
        centre = next(float(c[k]) for k in ("median", "median_at_2_failures", "median_at_40")
                      if k in c)
        return "log", centre, float(c["omega"])
    return None


@dataclass(frozen=True)
class Prior:
    """Multivariate normal prior in transformed space, truncated to plausible ranges.

    Attributes: ``names``; ``transforms`` ("log"/"linear"); ``mean`` (d,) and ``cov`` (d, d)
    in transformed space; ``low``/``high`` (d,) truncation bounds in transformed space;
    ``source`` ("assumed ..." or "population"); ``xlow``/``xhigh`` the ranges in model units.
    """

    names: tuple[str, ...]
    transforms: tuple[str, ...]
    mean: np.ndarray
    cov: np.ndarray
    low: np.ndarray
    high: np.ndarray
    source: str
    xlow: np.ndarray
    xhigh: np.ndarray

    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    def logpdf(self, z: np.ndarray) -> np.ndarray:
        """Log density (up to a constant) of (n, d) points; -inf outside the ranges."""
        z = np.atleast_2d(z)
        diff = z - self.mean
        q = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(self.cov), diff)
        inside = np.all((z >= self.low) & (z <= self.high), axis=1)
        return np.where(inside, -0.5 * q, -np.inf)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, d) draws in transformed space (rejection sampling of the truncation)."""
        out = np.empty((0, self.dim))
        while len(out) < n:
            z = rng.multivariate_normal(self.mean, self.cov, size=2 * n)
            out = np.vstack([out, z[np.all((z >= self.low) & (z <= self.high), axis=1)]])
        return out[:n]

    def values(self, z: np.ndarray) -> dict[str, np.ndarray]:
        """Parameter values (model units) of (n, d) transformed points, by name."""
        z = np.atleast_2d(z)
        return {name: np.clip(_inverse(tr, z[:, i]), self.xlow[i], self.xhigh[i])
                for i, (name, tr) in enumerate(zip(self.names, self.transforms, strict=True))}

    def transform(self, values: Mapping[str, np.ndarray | float]) -> np.ndarray:
        """(n, d) transformed points of parameter values given by name."""
        cols = [_forward(tr, np.atleast_1d(np.asarray(values[name], dtype=float)))
                for name, tr in zip(self.names, self.transforms, strict=True)]
        return np.column_stack(cols)


def _forward(transform: str, x: np.ndarray) -> np.ndarray:
    if transform == "log":
        with np.errstate(divide="ignore"):
            return np.log(x)
    return x


def _inverse(transform: str, z: np.ndarray) -> np.ndarray:
    return np.exp(z) if transform == "log" else z


def person_prior(
    names: Sequence[str], model: Model,
    population: Mapping[str, np.ndarray] | None = None,
) -> Prior:
    """The prior of ``names`` from the population model (see the module docstring).

    ``population`` maps parameter names to equally long arrays of draws from a population;
    their mean and covariance in the transformed space replace the population model's
    (parameters missing from it keep theirs, uncorrelated).
    """
    unknown = [n for n in names if n not in SPREAD]
    if unknown:
        raise ValidationError(f"No person-level prior for {unknown}; known: {sorted(SPREAD)}.")
    pars = [model.parameter(n) for n in names]
    transforms, centres, sds, used = [], [], [], []
    for name, par in zip(names, pars, strict=True):
        pop = population_spread(name, model)
        if pop is not None:
            transforms.append(pop[0])
            centres.append(np.clip(pop[1], par.low, par.high))
            sds.append(pop[2])
            used.append(name)
        else:
            transforms.append(SPREAD[name][0])
            centres.append(par.value)
            sds.append(SPREAD[name][1])
    mean = np.array([_forward(t, np.array([c]))[0] for t, c in zip(transforms, centres,
                                                                    strict=True)])
    cov = np.diag(np.square(sds))
    assumed = [n for n in names if n not in used]
    parts = [f"population model (data/population.yaml) for {', '.join(used)}" if used else "",
             f"assumed spreads (moodtwin.person._prior.SPREAD) for {', '.join(assumed)}"
             if assumed else ""]
    source = "; ".join(x for x in parts if x)
    if population:
        have = [i for i, n in enumerate(names) if n in population]
        if have:
            draws = np.column_stack([_forward(transforms[i], np.asarray(population[names[i]],
                                                                         dtype=float))
                                     for i in have])
            if len(draws) < 2 * len(have) + 2 or not np.all(np.isfinite(draws)):
                raise ValidationError("population: too few or non-finite draws for a prior.")
            mean[have] = draws.mean(axis=0)
            cov[np.ix_(have, have)] = np.atleast_2d(np.cov(draws, rowvar=False))
            source = "population draws (" + ", ".join(names[i] for i in have) + "); " + source
    low = np.array([_forward(t, np.array([p.low]))[0] for t, p in zip(transforms, pars,
                                                                         strict=True)])
    high = np.array([_forward(t, np.array([p.high]))[0] for t, p in zip(transforms, pars,
                                                                           strict=True)])
    return Prior(tuple(names), tuple(transforms), mean, cov, low, high, source,
                 np.array([p.low for p in pars]), np.array([p.high for p in pars]))
