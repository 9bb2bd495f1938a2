"""Calibration targets: the published values attached to trial-file endpoints."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from moodtwin.catalogue import trial_catalogue
from moodtwin.errors import ValidationError
from moodtwin.parameter_sets import ParametersLike, resolve
from moodtwin.simulation import Engine
from moodtwin.trials import Trial, TrialResult, endpoint_label, load_trial
from moodtwin.trials._schema import RATIO_TYPES, Published, is_rate_endpoint


@dataclass(frozen=True)
class Target:
    """One published number: trial file, endpoint label, arm ('' for comparisons)."""

    trial_file: Path
    trial: Trial
    endpoint: str
    arm: str
    published: Published
    is_rate: bool
    is_ratio: bool = False
    role: str = "calibration"  # the endpoint's role, else its trial file's

    def on_scale(self, x: float) -> float:
        """``x`` on the scale the target is compared on: log for a ratio, else ``x``."""
        if not self.is_ratio:
            return x
        return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)

    @property
    def sigma(self) -> float:
        """Published standard error on the comparison scale (:meth:`on_scale`): from the
        95% CI, SE, SD/sqrt(n) or binomial(n); for a ratio the CI's log width / 3.92, or its
        SE over the ratio (delta method)."""
        p = self.published
        if self.is_ratio:
            if p.ci is not None and p.ci[0] > 0:
                return (math.log(p.ci[1]) - math.log(p.ci[0])) / (2 * 1.96)
            if p.se is not None and p.value:
                return p.se / abs(p.value)
            raise ValidationError(f"{self.trial_file.name}: endpoint {self.endpoint!r}: a "
                                  "published ratio needs a positive 'ci' or an 'se'.")
        if p.se is not None:
            return p.se
        if p.ci is not None:
            return (p.ci[1] - p.ci[0]) / (2 * 1.96)
        if p.sd is not None and p.n is not None:
            return p.sd / math.sqrt(p.n)
        if self.is_rate and p.n is not None:
            q = min(max(p.value, 0.5 / p.n), 1 - 0.5 / p.n)  # Wilson-like floor near 0 or 1
            return math.sqrt(q * (1 - q) / p.n)
        raise ValidationError(f"{self.trial_file.name}: endpoint {self.endpoint!r}: give the "
                              "published 'ci', 'se', 'sd' with 'n', or (rates) 'n'.")

    @property
    def ci(self) -> tuple[float, float]:
        """Published 95 % interval: as given; else a rate's Wilson interval (within 0-1);
        else value +- 1.96 sigma (a ratio's on the log scale)."""
        p = self.published
        if p.ci is not None:
            return p.ci
        if self.is_rate and " vs " not in self.arm and p.n and p.se is None and p.sd is None:
            from moodtwin.trials._stats import wilson

            lo, hi = wilson(p.value * p.n, p.n)
            return float(lo), float(hi)
        if self.is_ratio:
            return (p.value * math.exp(-1.96 * self.sigma), p.value * math.exp(1.96 * self.sigma))
        return (p.value - 1.96 * self.sigma, p.value + 1.96 * self.sigma)

    @property
    def label(self) -> str:
        return f"{self.trial_file.stem}/{self.endpoint}" + (f"/{self.arm}" if self.arm else "")


def targets_of(path: Path) -> list[Target]:
    """All endpoints with a ``published`` value in the trial file at ``path``."""
    return trial_targets(load_trial(path), path)


def trial_targets(trial: Trial, path: Path) -> list[Target]:
    """All endpoints with a ``published`` value in ``trial`` (read from ``path``)."""
    from moodtwin.trials._claims import published_rows

    return [Target(path, trial, endpoint_label(e), arm, pub, is_rate_endpoint(e),
                   e.type in RATIO_TYPES, e.role or trial.role)
            for e in trial.endpoints for arm, pub in published_rows(e)]


def targets_by_file(paths: Sequence[str | Path] | None = None) -> dict[Path, list[Target]]:
    """The targets of each trial file in ``paths`` (files or folders of ``*.yaml``; default:
    the packaged trial catalogue), an empty list for a file without published values."""
    files: list[Path] = []
    for p in [Path(x) for x in paths] if paths else [trial_catalogue()]:
        files += sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    if not files:
        raise ValidationError("No trial files found.")
    return {f: targets_of(f) for f in files}


def collect_targets(paths: Sequence[str | Path] | None = None, *, fitted_only: bool = False,
                    require: bool = False) -> list[Target]:
    """Targets of every trial file in ``paths`` (files or folders of ``*.yaml``; default:
    the packaged trial catalogue, :func:`moodtwin.catalogue.trial_catalogue`);
    ``fitted_only``: only files whose ``role`` is ``calibration`` (what ``calibrate`` fits;
    ``validate`` reports every file). ``require``: refuse when there is no target
    (:func:`require_targets`)."""
    by_file = targets_by_file(paths)
    return (require_targets(by_file, fitted_only=fitted_only) if require
            else _flat(by_file, fitted_only))


def _flat(by_file: dict[Path, list[Target]], fitted_only: bool) -> list[Target]:
    targets = [t for ts in by_file.values() for t in ts]
    return [t for t in targets if t.role == "calibration"] if fitted_only else targets


def require_targets(by_file: dict[Path, list[Target]], *, fitted_only: bool = False
                    ) -> list[Target]:
    """The targets of :func:`targets_by_file`, refused in one line naming the files when
    there are none (``validate`` and ``calibrate`` compare published values: a design file
    without them runs with ``moodtwin trial``)."""
    targets = _flat(by_file, fitted_only)
    if targets:
        return targets
    names = [f.name for f in by_file]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    if fitted_only and any(by_file.values()):
        raise ValidationError(f"{shown}: every published value has 'role: validation' "
                              "(reported by 'moodtwin validate', never fitted), so there is "
                              "nothing to calibrate.")
    raise ValidationError(f"{shown}: no endpoint has a 'published' value, so there is "
                          "nothing to compare with; 'moodtwin trial FILE' runs a design "
                          "without published values.")


def _compare_claim(target: Target, result: TrialResult) -> dict[str, object]:
    """A published significance claim: the fraction of simulated trials (replicates) whose
    95% CI bears it out; pass when that is at least one half."""
    from moodtwin.trials._claims import claims_held
    from moodtwin.trials._schema import endpoint_test
    from moodtwin.trials._stats import wilson

    rows = result.endpoints[(result.endpoints["endpoint"] == target.endpoint)
                            & (result.endpoints["arm"] == target.arm)]
    if rows.empty:
        raise ValidationError(f"{target.label}: the simulation produced no such endpoint.")
    e = next(x for x in target.trial.endpoints if endpoint_label(x) == target.endpoint)
    held = claims_held(e, target.published, rows)
    frac = sum(held) / len(held)
    lo, hi = wilson(sum(held), len(held))
    return {"target": target.label, "endpoint": target.endpoint, "arm": target.arm,
            "published": f"{target.published.claim} ({endpoint_test(e)}, p<0.05)",
            "published_ci": "", "simulated": frac,
            "simulated_95": f"[{float(lo):.3g}, {float(hi):.3g}]", "z": math.nan,
            "claim": True, "pass": frac >= 0.5}


def _replicates(result: TrialResult, endpoint: str, arm: str, log: bool
                ) -> tuple[np.ndarray, float, float]:
    """The finite replicate estimates of one endpoint (logs of the positive ones when
    ``log``) and the first replicate's 95% CI on the same scale."""
    e = result.endpoints
    est = e[(e["endpoint"] == endpoint) & (e["arm"] == arm)]
    values = est["estimate"].to_numpy(dtype=float)
    lo, hi = float(est["ci_low"].iloc[0]), float(est["ci_high"].iloc[0])
    if log:
        values = np.log(values[values > 0])
        lo, hi = (math.log(lo) if lo > 0 else math.nan), (math.log(hi) if hi > 0 else math.nan)
    return values[np.isfinite(values)], lo, hi


def _standard_error(values: np.ndarray, lo: float, hi: float) -> float:
    """SD of the replicate estimates over sqrt(replicates), or, with one replicate, that
    trial's own standard error (its 95% CI ``lo``-``hi`` / 3.92)."""
    if len(values) >= 2:
        return float(np.std(values, ddof=1) / math.sqrt(len(values)))
    return (hi - lo) / 3.92 if math.isfinite(hi - lo) else 0.0


def simulated_se(result: TrialResult, endpoint: str, arm: str, *, log: bool = False) -> float:
    """Monte-Carlo standard error of the simulated mean of one endpoint (of its log, for a
    ratio: ``log``): see :func:`_standard_error`."""
    return _standard_error(*_replicates(result, endpoint, arm, log))


def compare(target: Target, result: TrialResult) -> dict[str, object]:
    """Published vs simulated for one target.

    ``z = (simulated - published) / sqrt(se_published^2 + se_simulated^2)``; the target
    passes when ``|z| <= 1.96`` (``se_simulated``: :func:`simulated_se`). A ratio (risk or
    hazard ratio) is compared on the log scale, where its interval is symmetric: the
    simulated value is the geometric mean of the replicates (:meth:`TrialResult.summary`)
    and both standard errors are of the log (column ``scale``). A significance claim passes
    when most simulated trials bear it out (no z)."""
    if target.published.claim is not None:
        return _compare_claim(target, result)
    s = result.summary()
    row = s[(s["endpoint"] == target.endpoint) & (s["arm"] == target.arm)]
    if row.empty:
        raise ValidationError(f"{target.label}: the simulation produced no such endpoint.")
    r = row.iloc[0]
    lo, hi = target.ci
    mean, slo, shi = float(r["mean"]), float(r["low"]), float(r["high"])
    values, rep_lo, rep_hi = _replicates(result, target.endpoint, target.arm, target.is_ratio)
    se_sim = _standard_error(values, rep_lo, rep_hi)
    z = ((target.on_scale(mean) - target.on_scale(target.published.value))
         / math.hypot(target.sigma, se_sim))
    return {"target": target.label, "endpoint": target.endpoint, "arm": target.arm,
            "therapy": target.trial_file.stem.split("_")[0],
            "published": target.published.value, "published_ci": f"[{lo:.3g}, {hi:.3g}]",
            "published_se": target.sigma,
            "simulated": mean, "simulated_95": f"[{slo:.3g}, {shi:.3g}]",
            "simulated_se": se_sim, "scale": "log" if target.is_ratio else "linear",
            "z": z, "claim": False,
            "pass": bool(abs(z) <= 1.96) and math.isfinite(mean)}


def chi_square(table: pd.DataFrame) -> tuple[float, int, float]:
    """Total chi-square of a validation table (sum of z^2 over published numbers; claims have
    no z), its degrees of freedom (one per number) and the upper-tail p-value. A number whose
    simulation failed counts as z = 10."""
    from scipy import stats

    z = table.loc[~table["claim"].astype(bool), "z"].to_numpy(dtype=float)
    z = np.where(np.isfinite(z), z, 10.0)
    chi2, dof = float(np.sum(z * z)), len(z)
    return chi2, dof, float(stats.chi2.sf(chi2, dof))


def validation_table(targets: list[Target], results: dict[Path, TrialResult]) -> pd.DataFrame:
    """One :func:`compare` row per target, with the trial file's ``role`` (calibration:
    fitted by ``calibrate``; validation: reported only)."""
    return pd.DataFrame([{**compare(t, results[t.trial_file]), "role": t.role}
                         for t in targets])


def validate(
    trials: Sequence[str | Path] | None = None, *, parameters: ParametersLike = None,
    replicates: int = 10, seed: int = 0, engine: Engine | None = None,
    progress: Callable[[str], None] | None = None, ensemble: bool | None = None,
) -> pd.DataFrame:
    """Run every trial file with published values and compare (one row per target).

    **Arguments:**

    - ``trials``: trial files or folders (default: the packaged trial catalogue).
    - ``parameters``: the :class:`~moodtwin.ParameterSet` (default: the calibrated set).
    - ``replicates``: repetitions of each trial (the simulated 95 % interval is over them).
    - ``engine``: a :class:`~moodtwin.sweep.DaskEngine`, default this process.
    - ``ensemble``: draw the parameter set's posterior ensemble members across replicates
      (default, as :func:`~moodtwin.run_trial`), or ``False`` to score its point values only.

    **Returns:** target, endpoint, arm, published value and 95 % CI, simulated mean and 95 %
    interval, ``z`` and ``pass`` (see :func:`compare`; :func:`chi_square` sums the table).
    """
    from moodtwin.trials import run_trial

    targets = collect_targets(trials, require=True)
    ps = resolve(parameters)
    results = {}
    for path in sorted({t.trial_file for t in targets}):
        spec = next(t.trial for t in targets if t.trial_file == path)
        if progress is not None:
            progress(f"{path.name}: {replicates} replicate(s) ...")
        results[path] = run_trial(spec, seed=seed, replicates=replicates, parameters=ps,
                                  engine=engine, ensemble=ensemble)
    return validation_table(targets, results)
