"""Outcomes, side-effect constraints and the evaluation of one protocol over all draws.

Each candidate protocol is simulated once for all parameter draws (the batched engine). An
outcome is computed per draw from the latent MADRS and averaged over the draws that
integrated successfully; failed draws are counted and excluded, never fatal.

Research software, not medical advice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from moodtwin import scales
from moodtwin.errors import UnknownNameError, ValidationError
from moodtwin.model import Model
from moodtwin.parameter_sets import ParametersLike, resolve
from moodtwin.protocols import Protocol, compile_protocol
from moodtwin.simulation import default_save_times, parameter_table, simulate
from moodtwin.units import hours

#: Outcome kinds: what is computed per draw (all are "higher is better").
OUTCOMES = {
    "response": "probability of response (MADRS reduced by >= 50 % from baseline) at the horizon",
    "remission": "probability of remission (MADRS <= the remission threshold) at the horizon",
    "remission_time": "fraction of the time from baseline to the horizon spent in remission",
    "madrs_reduction": "mean reduction of MADRS from baseline at the horizon, in %",
    "min_charge": "minus the duty-averaged VNS charge rate (uC/s) over the horizon: finds the "
                  "lowest charge that meets the constraints (e.g. an engagement biomarker "
                  "target 'vns_recruit_A>=0.8' with 'voice_alteration<=0.5')",
}
#: Outcomes computed from an observable instead of the MADRS.
OUTCOME_OBSERVABLE = {"min_charge": "vns_charge_rate"}
#: Outcomes that minimize an observable's time mean (the optimizer maximizes its negative):
#: reported as that mean, by (name, unit), lower is better.
LOWER_IS_BETTER = {"min_charge": ("mean VNS charge rate", "uC/s")}
#: Side effect reported for each therapy (peak over the horizon, mean over draws).
SIDE_EFFECTS = {"vns": "voice_alteration", "ketamine_iv": "dissociation",
                "esketamine_nasal": "dissociation", "botulinum_glabellar": "ptosis_risk"}
GRID_H = 6.0  # regular output grid (h); outputs are denser after each dose


@dataclass(frozen=True)
class Outcome:
    """What to maximize: ``kind`` (see :data:`OUTCOMES`) at the horizon ``at`` (e.g. '26 week').

    ``remission_madrs``: remission threshold in MADRS points (<=); default: the MADRS
    scale's standard threshold (:mod:`moodtwin.scales`).
    """

    kind: str = "response"
    at: str = "26 week"
    remission_madrs: float = scales.get_scale("MADRS").remission_threshold

    def __post_init__(self) -> None:
        if self.kind not in OUTCOMES:
            raise UnknownNameError("outcome", self.kind, OUTCOMES)
        hours(self.at, "outcome horizon (--at)", 24.0, 24 * 365 * 5)
        if not 0.0 <= self.remission_madrs <= 60.0:
            raise ValidationError(f"remission threshold {self.remission_madrs:g} is outside "
                                  "0-60 MADRS points.")

    @property
    def at_h(self) -> float:
        return hours(self.at, "outcome horizon (--at)", 24.0, 24 * 365 * 5)

    @property
    def binary(self) -> bool:
        return self.kind in ("response", "remission")

    @property
    def label(self) -> str:
        return {"response": f"P(response at {self.at})",
                "remission": f"P(remission MADRS <= {self.remission_madrs:g} at {self.at})",
                "remission_time": f"time in remission (fraction, 0-{self.at})",
                "madrs_reduction": f"MADRS reduction at {self.at} (%)",
                "min_charge": f"-(mean VNS charge rate, uC/s, 0-{self.at})"}[self.kind]

    @property
    def sign(self) -> float:
        """Reported value = ``sign`` x maximized value (-1 for :data:`LOWER_IS_BETTER`)."""
        return -1.0 if self.kind in LOWER_IS_BETTER else 1.0

    @property
    def shown_label(self) -> str:
        """Label of the reported value (``sign`` x outcome), e.g. for figure axes."""
        if self.kind not in LOWER_IS_BETTER:
            return self.label
        name, unit = LOWER_IS_BETTER[self.kind]
        return f"{name} ({unit}, 0-{self.at}; lower is better)"

    def per_draw(self, madrs: np.ndarray, regular: np.ndarray) -> np.ndarray:
        """(draws,) outcome from the (draws, times) latent MADRS (or, for outcomes in
        :data:`OUTCOME_OBSERVABLE`, that observable) from baseline to the horizon;
        ``regular`` marks the evenly spaced (``GRID_H``) times used for time fractions."""
        if self.kind in OUTCOME_OBSERVABLE:
            return -madrs[:, regular][:, :-1].mean(axis=1)
        base, end = madrs[:, 0], madrs[:, -1]
        if self.kind == "response":
            return scales.is_response(base, end, "MADRS").astype(float)
        if self.kind == "remission":
            return scales.is_remission(end, "MADRS", self.remission_madrs).astype(float)
        if self.kind == "remission_time":
            inside = scales.is_remission(madrs[:, regular], "MADRS", self.remission_madrs)
            return inside[:, :-1].mean(axis=1)  # each regular sample stands for GRID_H hours
        return 100.0 * (base - end) / base


_CONSTRAINT = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?::\s*(peak|mean)\s*)?(<=|>=)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Constraint:
    """Limit on an observable: the ``stat`` ('peak' or 'mean' over the horizon), averaged over
    draws, must not exceed ``limit`` (``sense`` '<=', a side effect) or must reach it
    (``sense`` '>=', e.g. a target engagement biomarker), in the observable's unit."""

    observable: str
    limit: float
    stat: str = "peak"
    sense: str = "<="

    @classmethod
    def parse(cls, text: str, model: Model) -> Constraint:
        """From ``"NAME<=LIMIT"``, ``"NAME:mean<=LIMIT"`` or ``"NAME>=TARGET"`` (default
        statistic: peak)."""
        m = _CONSTRAINT.match(text)
        if not m:
            raise ValidationError(f"constraint {text!r}: expected NAME<=LIMIT or NAME:peak<=LIMIT"
                                  " / NAME:mean<=LIMIT (or >= for a target), e.g. "
                                  "voice_alteration<=0.4 or vns_recruit_A>=0.8.")
        name, stat, sense, raw = m.group(1), m.group(2) or "peak", m.group(3), m.group(4)
        names = sorted(o.name for o in model.observables)
        if name not in names:
            raise UnknownNameError("observable", name, names, shown=names)
        try:
            limit = float(raw)
        except ValueError:
            raise ValidationError(f"constraint {text!r}: limit {raw!r} is not a number.") from None
        if not np.isfinite(limit):
            raise ValidationError(f"constraint {text!r}: limit must be finite.")
        return cls(name, limit, stat, sense)

    @property
    def key(self) -> str:
        """Name of the statistic, e.g. 'voice_alteration:peak'."""
        return f"{self.observable}:{self.stat}"

    @property
    def label(self) -> str:
        return f"{self.key}{self.sense}{self.limit:g}"

    def per_draw(self, values: np.ndarray, regular: np.ndarray) -> np.ndarray:
        """(draws,) statistic of the (draws, times) observable."""
        if self.stat == "peak":
            return values.max(axis=1)
        return values[:, regular][:, :-1].mean(axis=1)


@dataclass(frozen=True)
class Evaluation:
    """Per-draw results of one protocol: ``outcome`` (NaN where the draw failed), the
    statistics of each constrained/reported observable and the MADRS at the horizon."""

    outcome: np.ndarray
    side: dict[str, np.ndarray]
    madrs_end: np.ndarray
    reduction: np.ndarray  # fractional MADRS reduction from baseline at the horizon
    ok: np.ndarray
    binary: bool

    @property
    def n_failed(self) -> int:
        return int((~self.ok).sum())

    @property
    def mean(self) -> float:
        return float(np.mean(self.outcome[self.ok])) if self.ok.any() else float("nan")

    @property
    def objective(self) -> float:
        """What the optimizer maximizes: the mean outcome; for a probability, ties between
        settings with the same count of responders are broken by the mean MADRS reduction
        (weight 0.4 / draws, so it never outweighs one more responder)."""
        if not self.binary or not self.ok.any():
            return self.mean
        tie = np.mean(np.clip(self.reduction[self.ok], -1.0, 1.0))
        return self.mean + 0.4 / int(self.ok.sum()) * float(tie)

    def side_mean(self, key: str) -> float:
        return float(np.mean(self.side[key][self.ok])) if self.ok.any() else float("nan")

    def violations(self, constraints: Sequence[Constraint]) -> list[float]:
        """Per constraint: excess of the mean statistic beyond its limit (<= 0 is feasible;
        for a '>=' target, the shortfall)."""
        return [(self.side_mean(c.key) - c.limit) * (1.0 if c.sense == "<=" else -1.0)
                for c in constraints]


class Evaluator:
    """Simulates protocols for fixed parameter ``draws`` and scores them.

    **Arguments:**

    - ``parameters``: the :class:`~moodtwin.ParameterSet` (None: the calibrated set).
    - ``draws``: parameter values by name, one array element per draw (others: the set's).
    - ``outcome``, ``constraints``: what to compute; ``report``: extra observables whose
      peak is reported (e.g. the therapy's side effect).
    """

    def __init__(self, parameters: ParametersLike, draws: Mapping[str, np.ndarray],
                 outcome: Outcome, constraints: Sequence[Constraint] = (),
                 report: Sequence[str] = ()):
        self.parameters = resolve(parameters)
        self.model, self.outcome = self.parameters.model, outcome
        self.draws = {k: np.asarray(v, dtype=float) for k, v in draws.items()}
        self.table = parameter_table(self.draws, self.model)  # range-checks every draw once
        self.stats = list(constraints) + [Constraint(o, np.inf) for o in report]
        self.n_simulations = 0

    @property
    def n_draws(self) -> int:
        return int(self.table.shape[0])

    def save_times(self, protocol: Protocol) -> tuple[np.ndarray, np.ndarray]:
        """Output times (h): a regular grid plus dense times after doses (for side-effect
        peaks), and the mask of the regular ones."""
        end = self.outcome.at_h
        timeline = compile_protocol(protocol, self.model, self.model.defaults())
        regular = np.arange(0.0, end + 1e-9, GRID_H)
        if regular[-1] < end - 1e-9:
            regular = np.append(regular, end)
        t = np.union1d(regular, default_save_times(timeline, end))
        return t, np.isin(t, regular)

    def __call__(self, protocol: Protocol) -> Evaluation:
        t, regular = self.save_times(protocol)
        result = simulate(protocol, self.draws or None, parameters=self.parameters, save_times_h=t,
                          throw=False)
        self.n_simulations += 1
        ok = result.status == 0
        madrs = result["madrs"]
        ok &= np.isfinite(madrs).all(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            series = result[OUTCOME_OBSERVABLE.get(self.outcome.kind, "madrs")]
            outcome = np.where(ok, self.outcome.per_draw(series, regular), np.nan)
            side = {c.key: np.where(ok, c.per_draw(result[c.observable], regular), np.nan)
                    for c in self.stats}
            reduction = np.where(ok, 1.0 - madrs[:, -1] / madrs[:, 0], np.nan)
        return Evaluation(outcome, side, np.where(ok, madrs[:, -1], np.nan), reduction, ok,
                          self.outcome.binary)


def _bootstrap(x: np.ndarray, seed: int, level: float) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean (scipy.stats.bootstrap, 2000 resamples,
    seeded); None when the values do not vary, to rounding (no interval to give)."""
    if x.size < 2 or np.ptp(x) <= 1e-12 * max(1.0, float(np.abs(x).max())):
        return None
    res = stats.bootstrap((x,), np.mean, confidence_level=level, n_resamples=2000,
                          method="percentile", rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def mean_interval(values: np.ndarray, binary: bool, seed: int = 0,
                  level: float = 0.95) -> tuple[float, float] | None:
    """Confidence interval of the mean over draws: Wilson for 0/1 values, otherwise a
    percentile bootstrap; None for values that are the same in every draw (e.g. a device's
    charge rate), or when no draw has a value."""
    x = values[np.isfinite(values)]
    if binary and x.size:
        ci = stats.binomtest(int(round(x.sum())), x.size).proportion_ci(level, method="wilson")
        return float(ci.low), float(ci.high)
    return _bootstrap(x, seed, level)


def paired_difference(a: np.ndarray, b: np.ndarray, seed: int = 0, level: float = 0.95
                      ) -> tuple[float, tuple[float, float] | None, int]:
    """Mean of ``a - b`` over draws valid in both, its bootstrap CI (None when the
    difference is the same in every draw) and the draw count."""
    both = np.isfinite(a) & np.isfinite(b)
    d = a[both] - b[both]
    mean = float(d.mean()) if d.size else float("nan")
    return mean, _bootstrap(d, seed, level), int(d.size)
