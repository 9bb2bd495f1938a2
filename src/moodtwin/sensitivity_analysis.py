"""Global sensitivity analysis of a therapy's simulated effect (SALib: Morris and Sobol).

Which parameters, and which mechanisms, drive an endpoint such as the change in latent MADRS
from baseline at week 6 under a protocol? Parameters are sampled over a band around the
calibrated typical values (default +/-50 %, clipped to each parameter's plausible range),
every sample is simulated through the sweep engine (:mod:`moodtwin.sweep`, in-process or on
Dask) and SALib computes

- Morris elementary effects (screening): ``mu_star`` = mean absolute change of the endpoint
  when the parameter moves over its whole sampled range (endpoint units, e.g. MADRS points;
  a linear extrapolation of steps of 2/3 of the range), ``sigma`` = their spread
  (non-linearity or interactions);
- Sobol indices (variance-based): ``S1`` = share of the endpoint's variance explained by the
  parameter alone, ``ST`` = including all its interactions, with bootstrap 95 % CIs.

Indices are summed per mechanism (the model module declaring the parameter). For Sobol, with
independent inputs, the sum of S1 is a lower bound of the group's first-order index and the
sum of ST an upper bound of its total index.

Research software, not medical advice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from moodtwin.errors import UnknownNameError, ValidationError
from moodtwin.extras import require
from moodtwin.model import Model
from moodtwin.parameter_sets import ParametersLike, resolve
from moodtwin.protocols import Protocol, ProtocolLike, resolve_protocol
from moodtwin.sweep import Progress, SweepResult, run_sweep
from moodtwin.units import times

METHODS = ("morris", "sobol")
DEFAULT_SAMPLES = {"morris": 20, "sobol": 64}  # trajectories / base samples
MIN_SAMPLES = {"morris": 4, "sobol": 16}
#: Sobol base samples below which a warning is printed (assumed rule of thumb: the bootstrap
#: intervals of S1/ST shrink as 1/sqrt(N) and are usually wider than +/-0.1 below ~500).
SOBOL_RECOMMENDED_N = 512
METRICS = {"morris": ("mu_star", "mu_star_conf", "mu", "sigma"),
           "sobol": ("ST", "ST_conf", "S1", "S1_conf")}
#: second bar of the figure: (metric, its CI column or None)
SECOND = {"morris": ("sigma", None), "sobol": ("S1", "S1_conf")}
_CHANGE, _PERCENT = "_change", "_percent_change"


@dataclass(frozen=True)
class Factor:
    """A sampled parameter: its sampling bounds (in ``unit``) and its mechanism."""

    name: str
    mechanism: str
    value: float  # typical (calibrated) value
    low: float
    high: float
    unit: str


@dataclass(frozen=True)
class Sensitivity:
    """Indices of one analysis.

    ``parameters``: one row per (time, parameter), ranked within each time; ``mechanisms``:
    per-mechanism sums; ``samples``: the sampled parameter values, solver status and endpoint
    values (one column per time). ``n_dropped`` runs were left out of the analysis because
    their Morris trajectory or Sobol block contained a failed run.
    """

    method: str
    protocol_name: str
    endpoint: str
    times_h: tuple[float, ...]
    factors: tuple[Factor, ...]
    parameters: pd.DataFrame
    mechanisms: pd.DataFrame
    samples: pd.DataFrame
    n_runs: int
    n_failed: int
    n_dropped: int
    failures: dict[str, int]  # reason -> number of failed runs
    seconds: float


# ---------------------------------------------------------------------------- inputs
def choose_factors(
    model: Model, names: Sequence[str] | None = None, band: float | None = 0.5
) -> tuple[Factor, ...]:
    """Parameters to sample (default: all ``calibratable`` ones) with their bounds.

    ``band`` = f samples ``value * (1 +/- f)`` clipped to the plausible range (for a value
    of 0, ``value +/- f * (high - low)``); ``None`` samples the whole plausible range.
    """
    if band is not None and not band > 0:
        raise ValidationError(f"band must be > 0 (a fraction of each value), got {band:g}.")
    chosen = list(names) if names else [p.name for p in model.parameters if p.calibratable]
    if len(set(chosen)) != len(chosen):
        twice = sorted({n for n in chosen if chosen.count(n) > 1})
        raise ValidationError(f"Parameters listed twice: {', '.join(twice)}.")
    if len(chosen) < 2:
        raise ValidationError(f"Sensitivity analysis needs at least 2 parameters, got "
                              f"{len(chosen)}.")
    out = []
    for name in chosen:
        p = model.parameter(name)  # unknown names: UnknownNameError with close matches
        lo, hi = p.low, p.high
        if band is not None:
            half = band * abs(p.value) if p.value != 0 else band * (p.high - p.low)
            lo, hi = max(p.low, p.value - half), min(p.high, p.value + half)
        if not hi > lo:
            raise ValidationError(f"Parameter {name!r} has an empty range [{lo:g}, {hi:g}] "
                                  f"{p.unit}; it cannot be sampled.")
        out.append(Factor(name, model.mechanism_of(name), p.value, lo, hi, p.unit))
    return tuple(out)


def parse_times(text: str, protocol: Protocol) -> tuple[float, ...]:
    """Comma-separated times (``"1d,1w,6 week,36 h"``) in h, each in (0, duration]."""
    return tuple(sorted({h for _, h in times(text, "--at", 1e-6, protocol.duration_h())}))


def endpoint_names(model: Model) -> list[str]:
    """Known endpoints: every observable, as value, ``_change`` or ``_percent_change``."""
    obs = [o.name for o in model.observables]
    return [f"{o}{s}" for o in obs for s in (_CHANGE, _PERCENT, "")]


def _split_endpoint(endpoint: str, model: Model) -> tuple[str, str]:
    obs = {o.name for o in model.observables}
    for suffix in (_PERCENT, _CHANGE, ""):
        base = endpoint.removesuffix(suffix) if suffix else endpoint
        if (not suffix or endpoint.endswith(suffix)) and base in obs:
            return base, suffix
    raise UnknownNameError("endpoint", endpoint, endpoint_names(model))


def endpoint_values(sweep: SweepResult, endpoint: str, times_h: Sequence[float]) -> np.ndarray:
    """(patients, times) endpoint; ``sweep`` must have saved t = 0 first, then ``times_h``.

    ``<observable>`` is the value at each time, ``<observable>_change`` the change from
    baseline (t = 0) and ``<observable>_percent_change`` that change in % of baseline.
    """
    base, suffix = _split_endpoint(endpoint, sweep.model)
    k = [o.name for o in sweep.model.observables].index(base)
    idx = [int(np.argmin(np.abs(sweep.t - h))) for h in times_h]
    values = sweep.observables[:, idx, k]
    start = sweep.observables[:, :1, k]
    if suffix == _CHANGE:
        return values - start
    if suffix == _PERCENT:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(start != 0, 100.0 * (values - start) / start, np.nan)
    return values


# ---------------------------------------------------------------------------- analysis
def _problem(factors: Sequence[Factor]) -> dict[str, Any]:
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [[f.low, f.high] for f in factors]}


def _sample(method: str, problem: dict[str, Any], n: int, levels: int, seed: int) -> np.ndarray:
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=levels, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)


def check_request(method: str, samples: int | None, endpoint: str, model: Model) -> int:
    """Validate the method, sample size and endpoint (and that SALib is installed); returns
    the sample size to use."""
    require("sensitivity")
    if method not in METHODS:
        raise UnknownNameError("method", method, METHODS)
    n = DEFAULT_SAMPLES[method] if samples is None else samples
    if n < MIN_SAMPLES[method]:
        what = "trajectories" if method == "morris" else "base samples"
        raise ValidationError(
            f"{n} {what} are too few for {method}: use at least {MIN_SAMPLES[method]} "
            f"(default {DEFAULT_SAMPLES[method]}).")
    if method == "sobol" and n & (n - 1):
        raise ValidationError(f"Sobol needs a power of 2 base samples (e.g. 64, 128, 256), "
                              f"got {n}.")
    _split_endpoint(endpoint, model)
    return n


def _analyze(method: str, problem: dict[str, Any], x: np.ndarray, y: np.ndarray, levels: int,
             seed: int) -> dict[str, np.ndarray]:
    if method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(problem, x, y, num_levels=levels, seed=seed)
    else:
        from SALib.analyze import sobol

        res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
    return {k: np.asarray(res[k], dtype=float) for k in METRICS[method]}


def _ranked(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    frame = frame.sort_values(["time_h", key], ascending=[True, False], kind="stable")
    frame.insert(1, "rank", frame.groupby("time_h").cumcount() + 1)
    return frame.reset_index(drop=True)


def _by_mechanism(params: pd.DataFrame, method: str) -> pd.DataFrame:
    key = METRICS[method][0]
    sums = [key, "S1"] if method == "sobol" else [key]
    g = params.groupby(["time_h", "mechanism"], sort=False)
    out = g[sums].sum().add_suffix("_sum")
    out["n_parameters"] = g.size()
    out["top_parameter"] = params.loc[g[key].idxmax(), "parameter"].to_numpy()
    out = out.reset_index()
    out.insert(1, "time", out["time_h"].map(time_label))
    return _ranked(out, f"{key}_sum")


def run_sensitivity(
    protocol: ProtocolLike,
    method: str = "morris",
    *,
    endpoint: str = "madrs_change",
    times_h: Sequence[float] = (1008.0,),
    varied: Sequence[str] | None = None,
    parameters: ParametersLike = None,
    band: float | None = 0.5,
    samples: int | None = None,
    levels: int = 4,
    seed: int = 0,
    client: Any = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> Sensitivity:
    """Morris or Sobol indices of ``endpoint`` at ``times_h`` under ``protocol``.

    **Arguments:**

    - ``endpoint``: an observable (``madrs``), its change from baseline (``madrs_change``,
      points) or percent change (``madrs_percent_change``).
    - ``times_h``: evaluation times, h after baseline (indices per time).
    - ``varied``: parameter names to sample (default: the calibratable ones); ``band``: see
      :func:`choose_factors`.
    - ``parameters``: the :class:`~moodtwin.ParameterSet` whose values are the centre of
      the sampled box and of every parameter not varied (default: the calibrated set).
    - ``samples``: Morris trajectories (runs = samples x (parameters + 1)) or Sobol base
      samples, a power of 2 (runs = samples x (parameters + 2)).
    - ``levels``: Morris grid levels (even; 4 is SALib's default).
    - ``seed``: sampling and bootstrap seed; the same seed gives the same indices in-process
      or on Dask (every run is deterministic).
    - ``client``, ``chunk_size``: a ``dask.distributed.Client`` to run the batch on (None:
      in-process) and runs per task (see :func:`moodtwin.sweep.run_sweep`).

    Failed runs are counted, and the whole Morris trajectory or Sobol block that holds one
    is left out (SALib's estimators need complete ones; imputing a value would invent
    elementary effects). The indices then describe the part of the sampled box where the
    model runs; if more than a few percent fail, narrow ``band``.
    """
    start = time.perf_counter()
    protocol = resolve_protocol(protocol)
    model = resolve(parameters).model
    n = check_request(method, samples, endpoint, model)
    times = tuple(sorted({float(t) for t in times_h}))
    end = protocol.duration_h()
    if not times or times[0] <= 0 or times[-1] > end:
        raise ValidationError(f"Evaluation times must lie in (0, {end:g}] h (the protocol's "
                              f"duration {protocol.duration!r}), got {list(times)}.")
    factors = choose_factors(model, varied, band)
    problem = _problem(factors)
    x = _sample(method, problem, n, levels, seed)
    table = np.tile(np.array([p.value for p in model.parameters]), (x.shape[0], 1))
    table[:, [model.parameter_index[f.name] for f in factors]] = x
    sweep = run_sweep(protocol, table, np.array((0.0, *times)), parameters=parameters,
                      client=client,
                      chunk_size=chunk_size, progress=progress)
    y = endpoint_values(sweep, endpoint, times)
    block = len(factors) + (1 if method == "morris" else 2)
    good = (sweep.ok & np.isfinite(y).all(axis=1)).reshape(-1, block).all(axis=1)
    if good.sum() < 2:
        why = (f" First failure: {sweep.failures()[0][1]}" if sweep.failures() else "")
        raise ValidationError(
            f"Only {int(good.sum())} of {good.size} {method} "
            f"{'trajectories' if method == 'morris' else 'blocks'} ran without a failure; "
            f"narrow the band or choose other parameters.{why}")
    keep = np.repeat(good, block)
    rows = []
    for k, t in enumerate(times):
        yk = y[keep, k]
        if np.ptp(yk) == 0:
            raise ValidationError(
                f"Endpoint {endpoint!r} at {time_label(t)} does not vary over the sample: "
                f"none of the chosen parameters affects it under this protocol.")
        idx = _analyze(method, problem, x[keep], yk, levels, seed)
        for j, f in enumerate(factors):
            rows.append({"time_h": t, "time": time_label(t), "parameter": f.name,
                         "mechanism": f.mechanism, **{m: idx[m][j] for m in METRICS[method]},
                         "low": f.low, "high": f.high, "unit": f.unit})
    params = _ranked(pd.DataFrame(rows), METRICS[method][0])
    frame = pd.DataFrame(x, columns=[f.name for f in factors])
    frame["status"] = sweep.status
    frame["used"] = keep
    for k, t in enumerate(times):
        frame[f"{endpoint}@{time_label(t)}"] = y[:, k]
    reasons = Counter(why for _, why in sweep.failures())
    return Sensitivity(method, protocol.name, endpoint, times, factors, params,
                       _by_mechanism(params, method), frame, int(x.shape[0]),
                       int((~sweep.ok).sum()), int((~keep).sum()), dict(reasons),
                       time.perf_counter() - start)


def time_label(h: float) -> str:
    """``"6 wk"``, ``"1 d"``, ``"12 h"``."""
    if h >= 168 and h % 168 == 0:
        return f"{h / 168:g} wk"
    return f"{h / 24:g} d" if h >= 24 and h % 24 == 0 else f"{h:g} h"

__all__ = [
    "METHODS", "Factor", "Sensitivity", "check_request", "choose_factors", "endpoint_names",
    "endpoint_values", "parse_times", "run_sensitivity", "time_label",
]
