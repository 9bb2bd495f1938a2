"""Distance profiles: which calibrated values the targets pin, and how tightly.

The last population of a replenishment ABC-SMC run can collapse onto near-copies when its
tolerance reaches the Monte-Carlo noise floor and each restart begins from the previous
population: its 90 % intervals and contractions then describe the sampler, not the data.
:func:`profile_distances` measures the data's own constraint on each value. With common
random numbers (the same virtual patients), it steps one value at a time from the point to
``value / factor`` and ``value * factor`` (within the prior), averages the change of the
calibration distance over several independent realizations, fits a parabola in the log of
the value, and reads the 90 % interval where the distance rises by 2.71 above its minimum:
the distance is a sum of z^2, -2 log of a Gaussian pseudo-likelihood, and 2.71 is the 90 %
point of chi-square(1)
(Raue et al. 2009 Bioinformatics 25:1923, profile likelihood for identifiability). The
other values stay at the point, so the interval is conditional: narrower than the marginal
one where values are correlated, i.e. a lower bound on the uncertainty. A value whose
distance does not rise by 2.71 within its prior range is not pinned by the targets.

:func:`mean_field_ensemble` turns the table into parameter sets for predictions with
parameter uncertainty: each value drawn independently, normal in its log around the point
with the profile's 90 % half-width on each side as 1.645 SD, clipped to the interval (a
mean-field approximation: independent draws at the conditional widths; for a quadratic
distance each draw's expected rise is about one per pinned value, and correlated values
are drawn off the ridges they sit on together).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from moodtwin.calibration._abc import Prior, trial_distance
from moodtwin.calibration._targets import Target
from moodtwin.errors import ValidationError
from moodtwin.parameter_sets import ParameterSet
from moodtwin.workers import process_map

#: Rise of the distance (sum of z^2) that bounds a 90 % interval: chi-square(1) 90 % point.
CHI2_90 = 2.706
_JOB: dict[str, object] = {}


def _distance(job: tuple[str | None, float, int]) -> float:
    name, value, seed = job
    d = trial_distance(_JOB["targets"], n_max=_JOB["n_max"], seed=seed,  # type: ignore[arg-type]
                       parameters=_JOB["parameters"],  # type: ignore[arg-type]
                       realizations=_JOB["realizations"])  # type: ignore[arg-type]
    return d({} if name is None else {name: value})


def point_value(parameters: ParameterSet, name: str) -> float:
    """The set's value of a model parameter or a ``population.`` value."""
    from moodtwin.parameter_sets import POPULATION_PREFIX
    from moodtwin.population._spec import variability_table

    if name.startswith(POPULATION_PREFIX):
        node = variability_table(parameters.population)  # refuses an unknown path
        for part in name.removeprefix(POPULATION_PREFIX).split("."):
            node = node[part]
        return float(node)
    if name in parameters.values:
        return float(parameters.values[name])
    raise ValidationError(f"profile: {name!r} is not a model parameter (moodtwin model lists "
                          "them) nor a population. value.")


def interval_from_profile(point: float, down: float, up: float, factor: float, low: float,
                          high: float) -> tuple[float, float, bool]:
    """90 % interval (clipped to the prior ``[low, high]``) from the distance changes
    ``down`` at ``max(point / factor, low)`` and ``up`` at ``min(point * factor, high)``, by
    a parabola in ``log(value)`` through them and the point; the flag says whether the
    distance rises by :data:`CHI2_90` on both sides within the prior (the value is pinned).
    A point on a prior bound has one side only: not pinned, the prior range."""
    xd = math.log(max(point / factor, low) / point)
    xu = math.log(min(point * factor, high) / point)
    if xd == 0 or xu == 0:
        return low, high, False
    # down = b xd + c xd^2, up = b xu + c xu^2
    curvature = (up / xu - down / xd) / (xu - xd)
    slope = up / xu - curvature * xu
    if curvature <= 0:
        return low, high, False
    centre = math.log(point) - slope / (2 * curvature)
    half = math.sqrt(CHI2_90 / curvature)
    a, b = math.log(low), math.log(high)
    pinned = a < centre - half and centre + half < b
    return (math.exp(min(max(centre - half, a), b)), math.exp(min(max(centre + half, a), b)),
            pinned)


def profile_distances(
    targets: Sequence[Target], parameters: ParameterSet, priors: Sequence[Prior], *,
    factor: float = 1.25, seeds: Sequence[int] = (101, 102, 103), n_max: int = 100,
    realizations: int = 2, processes: int = 1, progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per prior: the point, the mean change of the distance at ``point / factor``
    and ``point * factor`` over the ``seeds`` (common random numbers within a seed) with its
    standard error, and the 90 % one-at-a-time interval (module docstring).

    Cost: ``len(seeds) * (2 * len(priors) + 1)`` distance evaluations, spread over
    ``processes``."""
    if factor <= 1:
        raise ValidationError(f"profile factor must exceed 1, got {factor}.")
    if len(seeds) < 2:
        raise ValidationError("profile needs at least 2 seeds (for the standard error).")
    points = {p.name: point_value(parameters, p.name) for p in priors}
    jobs: list[tuple[str | None, float, int]] = [(None, 0.0, s) for s in seeds]
    jobs += [(p.name, min(max(points[p.name] * f, p.low), p.high), s) for p in priors
             for f in (1 / factor, factor) for s in seeds]
    _JOB.update(targets=list(targets), n_max=n_max, parameters=parameters,
                realizations=realizations)
    if progress is not None:
        progress(f"profile: {len(jobs)} distance evaluations on {processes} process(es) ...")
    d = np.array(process_map(_distance, jobs, processes)).reshape(-1, len(seeds))
    base, steps = d[0], d[1:].reshape(len(priors), 2, len(seeds)) - d[0]
    rows = []
    for i, p in enumerate(priors):
        down, up = steps[i].mean(axis=1)
        se = steps[i].std(axis=1, ddof=1) / math.sqrt(len(seeds))
        lo, hi, pinned = interval_from_profile(points[p.name], float(down), float(up), factor,
                                               p.low, p.high)
        rows.append({"parameter": p.name, "point": points[p.name], "prior_low": p.low,
                     "prior_high": p.high, "delta_down": down, "delta_down_se": se[0],
                     "delta_up": up, "delta_up_se": se[1], "profile_low_90": lo,
                     "profile_high_90": hi, "pinned": pinned})
    out = pd.DataFrame(rows)
    out.attrs["point_distance"] = float(base.mean())
    return out


def mean_field_ensemble(table: pd.DataFrame, size: int, seed: int = 0
                        ) -> list[dict[str, float]]:
    """``size`` parameter mappings drawn from a :func:`profile_distances` table (module
    docstring): ``parameter`` -> value, every value inside its profile interval."""
    if size < 1:
        raise ValidationError(f"ensemble size must be at least 1, got {size}.")
    rng = np.random.default_rng(seed)
    point = np.log(table["point"].to_numpy(dtype=float))
    lo = np.log(table["profile_low_90"].to_numpy(dtype=float))
    hi = np.log(table["profile_high_90"].to_numpy(dtype=float))
    names = list(table["parameter"])
    out = []
    for _ in range(size):
        z = rng.standard_normal(len(names))
        sd = np.clip(np.where(z > 0, hi - point, point - lo), 0.0, None) / 1.645
        x = np.clip(point + z * sd, lo, hi)
        out.append({n: float(v) for n, v in zip(names, np.exp(x), strict=True)})
    return out


#: Opens the note :func:`annotate_sources` adds to a calibrated value's source.
PROFILE_NOTE = "; one-at-a-time distance-profile "


def annotate_sources(doc: dict, table: pd.DataFrame, where: str) -> dict:
    """A parameter-set document (as ``moodtwin calibrate`` writes it) with each profiled
    value's source extended by its profile interval and verdict, ``where`` naming the
    table; an earlier note is replaced, so annotating twice changes nothing."""
    for r in table.itertuples():
        node = (doc.get("population", {}).get(r.parameter.removeprefix("population."))
                if r.parameter.startswith("population.")
                else doc.get("parameters", {}).get(r.parameter))
        if isinstance(node, dict) and "source" in node:
            verdict = "pinned" if r.pinned else "not pinned on both sides within its prior"
            before = str(node["source"]).split(PROFILE_NOTE)[0].rstrip(".")
            node["source"] = (f"{before}{PROFILE_NOTE}90% interval [{r.profile_low_90:.3g}, "
                              f"{r.profile_high_90:.3g}] ({verdict}; {where})")
    return doc
