"""Statistics of trial endpoints in the form trials report them."""

from __future__ import annotations

import numpy as np


def wilson(successes: np.ndarray | float, n: np.ndarray | float,
           level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (fractions, within 0-1); NaN where
    ``n`` is 0 (Wilson 1927, J Am Stat Assoc 22:209; statsmodels ``proportion_confint``)."""
    from statsmodels.stats.proportion import proportion_confint

    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    ok = m > 0
    low, high = proportion_confint(np.where(ok, k, 0.0), np.where(ok, m, 1.0),
                                   alpha=1.0 - level, method="wilson")
    low = np.where(k <= 0, 0.0, np.clip(low, 0.0, 1.0))  # exact ends (statsmodels gives 1e-17)
    high = np.where(k >= m, 1.0, np.clip(high, 0.0, 1.0))
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan)


Estimate = tuple[float, float, float, int]  # estimate, 95% CI low, high, n
NAN: Estimate = (float("nan"), float("nan"), float("nan"), 0)


def mean_ci(x: np.ndarray) -> Estimate:
    """Mean of the finite values with its t-based 95% confidence interval."""
    from scipy import stats

    x = x[np.isfinite(x)]
    if x.size < 2:
        return (float(x.mean()) if x.size else float("nan")), float("nan"), float("nan"), x.size
    ci = stats.ttest_1samp(x, 0.0).confidence_interval()
    return float(x.mean()), float(ci.low), float(ci.high), int(x.size)


def share_ci(x: np.ndarray, visits: int) -> Estimate:
    """Mean of per-patient shares of visits (each in 0-1, e.g. time in response) with a
    95% interval within 0-1.

    A t interval leaves 0-1 when few patients respond at all; clipped, it would keep its
    symmetric width and collapse to [0, 0] when nobody responds. Instead, the clustered
    proportion of Korn & Graubard 1998 (Surv Methodol 24:193): the Wilson interval at the
    effective sample size ``p (1 - p) / SE^2`` (SE^2: the squared standard error of the mean
    over patients times ``(t_{n-1} / z)^2``, so the interval is the t interval away from 0
    and 1), at most the ``n x visits`` patient-visits pooled (a design effect of at least 1;
    it binds when the patients barely differ). Fewer than 2 patients: no interval (NaN), as
    :func:`mean_ci`.
    """
    from scipy import stats

    x = x[np.isfinite(x)]
    n = int(x.size)
    if n < 2:
        return (float(x.mean()) if n else float("nan")), float("nan"), float("nan"), n
    p, se = float(x.mean()), float(x.std(ddof=1)) / np.sqrt(n)
    scale = (1.959964 / float(stats.t.ppf(0.975, n - 1))) ** 2
    pooled = float(n * visits)
    n_eff = min(pooled, p * (1.0 - p) / se**2 * scale) if se > 0 else pooled
    lo, hi = wilson(p * n_eff, n_eff)
    return p, float(lo), float(hi), n


def rate_ci(x: np.ndarray) -> Estimate:
    """Proportion of 1s among the finite 0/1 values, with its Wilson interval."""
    x = x[np.isfinite(x)]
    if x.size == 0:
        return NAN
    lo, hi = wilson(float(x.sum()), x.size)
    return float(x.mean()), float(lo), float(hi), int(x.size)


def locf(x: np.ndarray) -> np.ndarray:
    """Last observation carried forward along visits (axis 1); NaN before the first one."""
    out = x.copy()
    for k in range(1, out.shape[1]):
        gap = np.isnan(out[:, k])
        out[gap, k] = out[gap, k - 1]
    return out


def nonresponder(flags: np.ndarray, analysed: np.ndarray) -> np.ndarray:
    """Non-responder imputation: a missing outcome (NaN) of an analysed patient counts as 0
    (not responding); patients not analysed stay NaN."""
    return np.where(analysed & np.isnan(flags), 0.0, flags)


def km_median(t: np.ndarray, event: np.ndarray) -> Estimate:
    """Kaplan-Meier median time with its 95% CI (lifelines; NaN/inf when not reached)."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    if t.size == 0:
        return NAN
    km = KaplanMeierFitter().fit(t, event)
    ci = median_survival_times(km.confidence_interval_).to_numpy()[0]
    return float(km.median_survival_time_), float(ci[0]), float(ci[1]), int(t.size)


def km_failure_by(t: np.ndarray, event: np.ndarray, by: float) -> Estimate:
    """Kaplan-Meier proportion with the event by time ``by`` (1 - S(by)), 95% CI; with no
    event by then, 0 with the Wilson upper bound of 0 events among those followed to ``by``
    (NaN when none was)."""
    from lifelines import KaplanMeierFitter

    if t.size == 0:
        return NAN
    if not (event & (t <= by)).any():  # KM's CI collapses to [0, 0]: Wilson on those followed
        followed = int((t >= by).sum())
        return 0.0, 0.0, float(wilson(0, followed)[1]), int(t.size)
    km = KaplanMeierFitter().fit(t, event)
    s = float(km.survival_function_at_times(by).iloc[0])
    ci = km.confidence_interval_survival_function_
    row = ci[ci.index <= by + 1e-12].iloc[-1]
    return 1.0 - s, 1.0 - float(row.iloc[1]), 1.0 - float(row.iloc[0]), int(t.size)


def cox_hr(ta: np.ndarray, ea: np.ndarray, tb: np.ndarray, eb: np.ndarray) -> Estimate:
    """Cox proportional-hazards ratio of group a over group b, 95% CI (lifelines,
    Efron ties)."""
    import warnings

    import pandas as pd
    from lifelines import CoxPHFitter

    df = pd.DataFrame({"t": np.concatenate([ta, tb]), "event": np.concatenate([ea, eb]),
                       "arm": np.r_[np.ones(ta.size), np.zeros(tb.size)]})
    if df["event"].sum() == 0 or ta.size == 0 or tb.size == 0:
        return float("nan"), float("nan"), float("nan"), len(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = CoxPHFitter().fit(df, "t", "event")
    s = cph.summary.loc["arm"]
    return (float(s["exp(coef)"]), float(s["exp(coef) lower 95%"]),
            float(s["exp(coef) upper 95%"]), len(df))


def correlation_ci(x: np.ndarray, y: np.ndarray, method: str = "pearson") -> Estimate:
    """Pearson or Spearman correlation over pairs with both values, with the Fisher z
    95% CI: tanh(atanh(r) -/+ 1.96 / sqrt(n - 3))."""
    from scipy import stats

    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    if n < 4 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan"), float("nan"), float("nan"), n
    r = float(stats.spearmanr(x, y)[0] if method == "spearman" else stats.pearsonr(x, y)[0])
    z, half = np.arctanh(np.clip(r, -0.999999, 0.999999)), 1.959964 / np.sqrt(n - 3)
    return r, float(np.tanh(z - half)), float(np.tanh(z + half)), n


def mmrm(change: np.ndarray, group: np.ndarray, visit: int,
         groups: tuple[str, ...]) -> Estimate:
    """Mean change at column ``visit`` from a mixed model for repeated measures.

    ``change``: (patients, post-baseline visits) with NaN where missing (missing at random
    is assumed); ``group``: each patient's group label. Model: one fixed mean per group x
    visit, a random intercept per patient, REML (statsmodels MixedLM); unstructured
    residual covariance is not available there, so this is the compound-symmetry MMRM.
    With one group: that group's mean at ``visit``; with two: first minus second.
    """
    import warnings

    import pandas as pd
    import statsmodels.formula.api as smf

    rows = np.isin(group, groups)
    pid, vis = np.nonzero(np.isfinite(change) & rows[:, None])
    if pid.size == 0:
        return NAN
    df = pd.DataFrame({"y": change[pid, vis], "pid": pid,
                       "cell": [f"{group[p]}|{v}" for p, v in zip(pid, vis, strict=True)]})
    cells = sorted(df["cell"].unique())
    want = [f"{g}|{visit}" for g in groups]
    if any(w not in cells for w in want):
        return float("nan"), float("nan"), float("nan"), int(np.unique(pid).size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = smf.mixedlm("y ~ 0 + C(cell)", df, groups=df["pid"]).fit(reml=True)
    names = list(fit.fe_params.index)
    c = np.zeros(len(names))
    c[names.index(f"C(cell)[{want[0]}]")] = 1.0
    if len(want) == 2:
        c[names.index(f"C(cell)[{want[1]}]")] = -1.0
    est = float(c @ fit.fe_params.to_numpy())
    cov = fit.cov_params().loc[names, names].to_numpy()
    se = float(np.sqrt(c @ cov @ c))
    n = int(np.unique(pid[np.isin(df["cell"], want)]).size)
    return est, est - 1.959964 * se, est + 1.959964 * se, n
