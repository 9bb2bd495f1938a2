"""Endpoint statistics against hand calculations or independent libraries, on small data."""

from __future__ import annotations

import numpy as np
import pytest

from moodtwin.trials._relapse import event_times, relapse_flags
from moodtwin.trials._stats import (
    correlation_ci,
    cox_hr,
    km_failure_by,
    km_median,
    locf,
    mean_ci,
    mmrm,
    nonresponder,
    rate_ci,
    share_ci,
    wilson,
)


def test_wilson_matches_the_hand_formula_and_stays_within_0_1() -> None:
    # 5/10: centre 0.5, half-width 1.96*sqrt(0.025 + 1.96^2/400)/(1 + 1.96^2/10)
    z = 1.959964
    half = z * np.sqrt(0.025 + z * z / 400) / (1 + z * z / 10)
    low, high = wilson(5, 10)
    assert float(low) == pytest.approx(0.5 - half, abs=1e-6)
    assert float(high) == pytest.approx(0.5 + half, abs=1e-6)
    low, high = wilson(np.array([0, 1, 1]), np.array([10, 1, 0]))
    assert low[0] == 0.0 and high[0] == pytest.approx(z * z / (10 + z * z), abs=1e-6)
    assert high[1] == 1.0 and 0.0 < low[1] < 1.0
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_share_ci_stays_within_0_1_and_is_the_t_interval_away_from_the_edges() -> None:
    """Time in response is a mean of per-patient shares in 0-1: its interval stays there
    (the t interval went below 0 when few patients respond), as the Wilson interval at the
    effective sample size p (1 - p) / SE^2 (Korn & Graubard 1998)."""
    few = np.r_[np.zeros(16), 0.25, 0.5, 0.75, 1.0, np.nan]
    assert mean_ci(few)[1] < 0.0  # the defect
    est, lo, hi, n = share_ci(few, 8)
    assert n == 20 and est == pytest.approx(0.125) and 0.0 < lo < est < hi < 1.0
    assert share_ci(np.zeros(20), 8)[1:3] == (0.0, pytest.approx(float(wilson(0, 160)[1])))
    assert share_ci(np.ones(5), 8)[2] == 1.0 and share_ci(np.ones(5), 8)[1] < 1.0
    mid = np.random.default_rng(0).uniform(0.3, 0.7, 200)  # far from 0 and 1: t interval
    assert share_ci(mid, 50)[1:3] == pytest.approx(mean_ci(mid)[1:3], rel=1e-3)
    # no tighter than 1600 independent patient-visits (a design effect of at least 1)
    pooled = [float(v) for v in wilson(mid.mean() * 1600, 1600)]
    assert share_ci(mid, 8)[1:3] == pytest.approx(pooled, rel=1e-9)
    one = share_ci(np.array([0.5]), 8)
    assert one[0] == 0.5 and np.isnan(one[1]) and np.isnan(one[2])


NAN = np.nan


def test_locf_and_non_responder_imputation_by_hand() -> None:
    x = np.array([[30, 20, NAN, 10], [30, NAN, NAN, NAN], [NAN, 5, NAN, 7]])
    np.testing.assert_array_equal(locf(x), [[30, 20, 20, 10], [30, 30, 30, 30],
                                            [NAN, 5, 5, 7]])
    flags = np.array([1.0, NAN, 0.0, NAN])
    analysed = np.array([True, True, True, False])
    np.testing.assert_array_equal(nonresponder(flags, analysed), [1, 0, 0, NAN])
    # response rate among 3 analysed patients: observed cases 1/2, non-responder 1/3
    assert rate_ci(flags[:3])[0] == 0.5
    assert rate_ci(nonresponder(flags, analysed))[0] == pytest.approx(1 / 3)


def test_kaplan_meier_median_and_proportion_by_hand() -> None:
    # S: 0.8 after t=1, 0.6 after t=2, censored at 3, 0.3 after t=4, 0 after t=5
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    ev = np.array([True, True, False, True, True])
    assert km_median(t, ev)[0] == 4.0
    assert km_failure_by(t, ev, 2.5)[0] == pytest.approx(0.4)
    assert km_failure_by(t, ev, 4.0)[0] == pytest.approx(0.7)
    est, lo, hi, n = km_failure_by(t, ev, 4.0)
    assert 0.0 <= lo <= est <= hi <= 1.0 and n == 5
    est, lo, hi, n = km_failure_by(t, ev, 0.5)  # no event yet: 0 of 5 followed, Wilson upper
    assert (est, lo) == (0.0, 0.0) and hi == pytest.approx(1.959964**2 / (5 + 1.959964**2))


def test_cox_hazard_ratio_matches_statsmodels_phreg() -> None:
    from statsmodels.duration.hazard_regression import PHReg

    rng = np.random.default_rng(0)
    ta, tb = rng.exponential(10.0, 40), rng.exponential(5.0, 40)
    ea, eb = ta < 12, tb < 12
    ta, tb = np.minimum(ta, 12), np.minimum(tb, 12)
    hr, lo, hi, n = cox_hr(ta, ea, tb, eb)
    ref = PHReg(np.r_[ta, tb], np.r_[np.ones(40), np.zeros(40)][:, None],
                status=np.r_[ea, eb].astype(int), ties="efron").fit()
    assert hr == pytest.approx(float(np.exp(ref.params[0])), rel=1e-4)
    assert lo == pytest.approx(float(np.exp(ref.conf_int()[0, 0])), rel=1e-3)
    assert hi == pytest.approx(float(np.exp(ref.conf_int()[0, 1])), rel=1e-3)
    assert n == 80 and hr < 1.0


def test_correlation_ci_is_fisher_z_and_matches_scipy() -> None:
    from scipy import stats

    rng = np.random.default_rng(1)
    x = rng.normal(size=30)
    y = 0.5 * x + rng.normal(size=30)
    y[3] = NAN  # dropped pairwise
    r, lo, hi, n = correlation_ci(x, y)
    ok = np.isfinite(y)
    ref = stats.pearsonr(x[ok], y[ok])
    ci = ref.confidence_interval()
    assert n == 29 and r == pytest.approx(ref.statistic)
    assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-4)
    z = np.arctanh(r)
    assert hi == pytest.approx(np.tanh(z + 1.959964 / np.sqrt(26)))
    assert correlation_ci(x, y, "spearman")[0] == pytest.approx(
        stats.spearmanr(x[ok], y[ok])[0])


def test_mmrm_equals_the_sample_mean_with_complete_data_and_corrects_mar_dropout() -> None:
    rng = np.random.default_rng(2)
    n = 60
    u = rng.normal(0, 3, n)[:, None]
    change = u + np.array([-4.0, -8.0, -12.0]) + rng.normal(0, 2, (n, 3))
    group = np.array(["a"] * 30 + ["b"] * 30, dtype=object)
    est, lo, hi, m = mmrm(change, group, 2, ("a",))
    assert est == pytest.approx(change[:30, 2].mean(), abs=1e-6) and m == 30
    diff = mmrm(change, group, 2, ("a", "b"))[0]
    assert diff == pytest.approx(change[:30, 2].mean() - change[30:, 2].mean(), abs=1e-6)
    # missing at random: patients who improve least at visit 1 drop out; observed cases
    # at visit 3 then look better than the truth (-12) and MMRM recovers most of it
    big = 400
    u = rng.normal(0, 4, big)[:, None]
    change = u + np.array([-4.0, -8.0, -12.0]) + rng.normal(0, 1, (big, 3))
    drop = change[:, 0] > np.quantile(change[:, 0], 0.6)
    change[drop, 1:] = NAN
    g = np.full(big, "a", dtype=object)
    oc = np.nanmean(change[:, 2])
    est = mmrm(change, g, 2, ("a",))[0]
    assert oc < -13.5 and abs(est + 12.0) < 0.6


def test_relapse_flags_and_confirmed_event_times_by_hand() -> None:
    days = np.array([0.0, 7, 14, 21, 28, 35])
    x = np.array([[30, 12, 14, 25, 26, 10],     # relapse confirmed at 21, 28 -> t = 21 - 7
                  [30, 12, 25, 13, 25, 12],     # never two consecutive: censored at 35 - 7
                  [30, 12, 12, 40, NAN, NAN],   # severe (>= 35) at 21, at once
                  [30, 28, 29, 27, 26, 25]])    # never responds: not at risk
    base = x[:, 0]
    f = relapse_flags(x, base, score=22)
    origin = np.array([1, 1, 1, -1])
    severe = np.where(np.isnan(x), NAN, (x >= 35).astype(float))
    t, ev, risk = event_times(f, days, origin, confirm=2, severe=severe)
    np.testing.assert_array_equal(risk, [True, True, True, False])
    np.testing.assert_array_equal(t, [14, 28, 14])
    np.testing.assert_array_equal(ev, [True, False, True])
    # a visit off the schedule (NaN) between two flagged visits does not break the run
    y = np.array([[30.0, 12, 25, NAN, 26, 10]])
    t, ev, _ = event_times(relapse_flags(y, y[:, 0], score=22), days, np.array([1]),
                           confirm=2)
    assert ev[0] and t[0] == 7.0
    # loss of response: improvement below 40% of baseline (score > 18 for baseline 30)
    f = relapse_flags(x[:1], base[:1], improvement_below=40)
    np.testing.assert_array_equal(f[0], [1, 0, 0, 1, 1, 0])
    # relative to the best improvement so far: kept < 50% of the best gain
    y = np.array([[30.0, 20, 10, 19, 21]])
    f = relapse_flags(y, y[:, 0], improvement_below=50, reference="best")
    np.testing.assert_array_equal(f[0], [1, 0, 0, 0, 1])   # gain 11 of 20 kept; 9 of 20 not
