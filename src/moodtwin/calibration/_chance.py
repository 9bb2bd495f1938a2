"""What an exact model would score: the reference distribution of the validation rule.

Each published number is one trial's estimate, with sampling error, so even a model that is
exactly right fails some of them under ``|z| <= 1.96``: about one number in twenty, and all
K independent numbers pass only 0.95^K of the time (12 % for 42). The calibration set's
numbers are not independent (arms shared by several endpoints, trials inside pooled
analyses), so :func:`chance_reference` measures the distribution for the numbers at hand
by a posterior predictive check (Gelman, Meng & Stern 1996 Stat Sin 6:733): it runs
``realizations`` further virtual trials of every file at its published size, takes each in
turn as a stand-in for the published result, and scores it with the same rule against the
validation table's simulated means. A model whose failure count and chi-square lie inside
this distribution fits as well as the published uncertainty lets any model fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from moodtwin.errors import ValidationError
from moodtwin.parameter_sets import ParametersLike, resolve
from moodtwin.simulation import Engine

#: Offset of the stand-in trials' seed from the validation seed, so that no stand-in trial
#: repeats a validation replicate of any nearby seed.
SEED_OFFSET = 1_000_003
PASS_Z = 1.96
FAILED_Z = 10.0  # a stand-in estimate that is missing (or a ratio <= 0) counts as this z


@dataclass(frozen=True)
class ChanceReference:
    """Scores of stand-in published results drawn from the model itself.

    ``z``: (realizations, numbers) z of each stand-in against the simulated mean (columns:
    target labels); ``roles``: calibration or validation, per target label;
    ``spread_ratio``: SD of the stand-in estimates over the published standard error, per
    target label (near 1 when the model's between-trial spread at the published size
    matches the published uncertainty; above 1 the model's trials vary more)."""

    z: pd.DataFrame
    roles: pd.Series
    spread_ratio: pd.Series

    def _cols(self, role: str) -> list[str]:
        return [c for c in self.z.columns if self.roles[c] == role]

    def failures(self, role: str) -> np.ndarray:
        """Numbers of ``role`` failing the rule, per stand-in realization."""
        return (self.z[self._cols(role)].abs() > PASS_Z).sum(axis=1).to_numpy()

    def chi_square(self, role: str) -> np.ndarray:
        """Total chi-square of ``role``'s numbers, per stand-in realization."""
        return (self.z[self._cols(role)] ** 2).sum(axis=1).to_numpy()

    def fail_rate(self) -> pd.Series:
        """Per number: the fraction of stand-ins that fail it (0.05 for an exact model whose
        spread matches the published standard error)."""
        return (self.z.abs() > PASS_Z).mean(axis=0)

    def summary(self, role: str, failed: int, chi2: float) -> str:
        """One line: the failures and chi-square an exact model would show, beside the
        observed ``failed`` and ``chi2``."""
        f, c = self.failures(role), self.chi_square(role)
        lo, hi = np.percentile(f, [5, 95])
        return (f"{role} set, if the model were exact ({len(f)} stand-in trials of each file "
                f"at its published size): {f.mean():.1f} numbers fail on average (90 % range "
                f"{lo:.0f}-{hi:.0f}; observed {failed}, at or above it in "
                f"{np.mean(f >= failed):.0%}), all pass in {np.mean(f == 0):.0%}; "
                f"chi-square median {np.median(c):.1f}, 95th percentile "
                f"{np.percentile(c, 95):.1f} (observed {chi2:.1f}, at or above it in "
                f"{np.mean(c >= chi2):.0%})")


def _on_scale(estimates: np.ndarray, log: bool) -> np.ndarray:
    """Estimates on the comparison scale (log for a ratio; NaN where a ratio is <= 0)."""
    x = np.asarray(estimates, dtype=float)
    if not log:
        return x
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)


def stand_in_z(estimates: np.ndarray, simulated: float, simulated_se: float, sigma: float,
               log: bool) -> np.ndarray:
    """z of each stand-in estimate (one per realization; NaN where missing) against the
    simulated mean, with the published ``sigma`` and the simulated mean's Monte-Carlo
    ``simulated_se`` (both of the log for a ratio, ``log``), as :func:`compare` scores a
    published value."""
    centre = _on_scale(np.array([simulated]), log)[0]
    z = (centre - _on_scale(estimates, log)) / math.hypot(sigma, simulated_se)
    return np.where(np.isfinite(z), z, FAILED_Z)


def chance_reference(
    table: pd.DataFrame, trials: Sequence[str | Path] | None = None, *,
    parameters: ParametersLike = None, realizations: int = 100, seed: int = 0,
    engine: Engine | None = None, progress: Callable[[str], None] | None = None,
) -> ChanceReference:
    """The failures and chi-square an exact model would show (module docstring).

    **Arguments:**

    - ``table``: :func:`~moodtwin.validate`'s table for the same ``trials``, ``parameters``
      and ``seed``.
    - ``realizations``: stand-in trials per file (each at the file's published size, with
      the set's posterior ensemble as in :func:`~moodtwin.validate`).

    **Returns:** a :class:`ChanceReference` over the table's published numbers
    (significance claims have no z and are left out).
    """
    from moodtwin.calibration._targets import collect_targets
    from moodtwin.trials import run_trial

    if realizations < 2:
        raise ValidationError(f"realizations must be at least 2, got {realizations}.")
    targets = [t for t in collect_targets(trials) if t.published.claim is None]
    rows = table.set_index("target")
    missing = [t.label for t in targets if t.label not in rows.index]
    if missing:
        raise ValidationError(f"the validation table has no row for {missing[0]!r}: pass the "
                              "table validate() gave for the same trials.")
    ps = resolve(parameters)
    z, spread = {}, {}
    for path in sorted({t.trial_file for t in targets}):
        mine = [t for t in targets if t.trial_file == path]
        if progress is not None:
            progress(f"{path.name}: {realizations} stand-in trial(s) ...")
        e = run_trial(mine[0].trial, seed=seed + SEED_OFFSET, replicates=realizations,
                      parameters=ps, engine=engine).endpoints
        for t in mine:
            est = (e[(e["endpoint"] == t.endpoint) & (e["arm"] == t.arm)]
                   .set_index("replicate")["estimate"].reindex(range(realizations)))
            r = rows.loc[t.label]
            z[t.label] = stand_in_z(est.to_numpy(dtype=float), float(r["simulated"]),
                                    float(r["simulated_se"]), t.sigma, t.is_ratio)
            values = _on_scale(est.to_numpy(dtype=float), t.is_ratio)
            values = values[np.isfinite(values)]
            spread[t.label] = float(np.std(values, ddof=1) / t.sigma) if len(values) > 1 \
                else math.nan
    labels = list(z)
    return ChanceReference(pd.DataFrame(z, columns=labels),
                           pd.Series({t.label: t.role for t in targets})[labels],
                           pd.Series(spread)[labels])
