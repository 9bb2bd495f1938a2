"""Global sensitivity analysis: known drivers found, failures handled, CLI outputs and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import moodtwin.sensitivity_analysis as sens_module
from moodtwin.cli import app
from moodtwin.errors import UnknownNameError, ValidationError
from moodtwin.protocols import load_protocol
from moodtwin.sensitivity_analysis import (
    choose_factors,
    endpoint_values,
    parse_times,
    run_sensitivity,
)
from moodtwin.sweep import run_sweep

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "protocols"
KETAMINE = EXAMPLES / "ketamine_single_iv.yaml"
#: two ketamine-pathway parameters, the expectancy weight, and two parameters that
#: act only through stimulation (taVNS coupling) or an oral antidepressant (absent here)
FACTORS = ["k_pot", "w_pot", "w_expect", "tavns_coupling", "ad_serotonin"]
runner = CliRunner()


@pytest.fixture(scope="module")
def ketamine():
    return load_protocol(KETAMINE)


@pytest.fixture(scope="module")
def morris(ketamine):
    return run_sensitivity(ketamine, "morris", times_h=(24.0, 168.0), varied=FACTORS,
                           samples=8, seed=3)


def test_morris_ranks_the_ketamine_pathway_first(morris) -> None:
    day1 = morris.parameters[morris.parameters.time_h == 24.0].set_index("parameter")
    assert morris.n_runs == 8 * (len(FACTORS) + 1) and morris.n_failed == 0
    # glutamate surge -> potentiation: the rapid effect, stronger coupling = larger MADRS drop
    assert day1.loc["k_pot", "mu"] < -1.0 and day1.loc["w_pot", "mu_star"] > 1.0
    week1 = morris.parameters[morris.parameters.time_h == 168.0].set_index("parameter")
    # ... and it fades (Kishimoto et al. 2016: superiority peaks at day 1, lost by day 10-12)
    assert week1.loc["k_pot", "mu_star"] < day1.loc["k_pot", "mu_star"]
    # expectancy acts through placebo relief that builds up over days
    assert week1.loc["w_expect", "mu_star"] > 1.0
    # no taVNS and no oral antidepressant in this protocol: exactly no effect
    assert day1.loc["tavns_coupling", "mu_star"] == 0.0
    assert day1.loc["ad_serotonin", "mu_star"] == 0.0
    mech = morris.mechanisms[morris.mechanisms.time_h == 24.0]
    # open-label reference patient: expectancy (mood) and potentiation (neurotrophic) lead
    assert set(mech.iloc[:2]["mechanism"]) == {"mood", "neurotrophic"}
    assert set(mech.iloc[-2:]["mechanism"]) == {"stimulation", "brainstem"}
    assert set(morris.parameters.time) == {"1 d", "1 wk"}


def test_same_seed_same_indices_locally_and_different_seed_differs(ketamine, morris) -> None:
    again = run_sensitivity(ketamine, "morris", times_h=(24.0, 168.0), varied=FACTORS,
                            samples=8, seed=3, chunk_size=5)
    pd.testing.assert_frame_equal(again.parameters, morris.parameters)
    other = run_sensitivity(ketamine, "morris", times_h=(24.0,), varied=FACTORS,
                            samples=8, seed=4)
    assert not np.allclose(other.samples.iloc[:, :5], morris.samples.iloc[:, :5])


def test_sobol_indices(ketamine) -> None:
    res = run_sensitivity(ketamine, "sobol", times_h=(24.0,),
                          varied=["k_pot", "w_syn", "tavns_coupling"], samples=16,
                          seed=1)
    p = res.parameters.set_index("parameter")
    assert res.n_runs == 16 * 5
    # the ketamine pathway (spine weight, potentiation rate) carries the day-1 variance
    assert {p.loc["w_syn", "rank"], p.loc["k_pot", "rank"]} == {1, 2}
    assert p.loc["k_pot", "ST"] > 0.2
    assert abs(p.loc["tavns_coupling", "ST"]) < 1e-12 and abs(p.loc["tavns_coupling", "S1"]) < 1e-12
    assert (p[["ST_conf", "S1_conf"]] >= 0).all().all()
    m = res.mechanisms.set_index("mechanism")
    assert m.loc["neurotrophic", "ST_sum"] == pytest.approx(p.loc["k_pot", "ST"])


def test_failed_runs_drop_their_whole_trajectory(ketamine, morris, monkeypatch) -> None:
    def one_failure(*args, **kwargs):
        res = run_sweep(*args, **kwargs)
        res.status[7] = 2  # as if the solver had failed for run 7 (second trajectory)
        return res

    monkeypatch.setattr(sens_module, "run_sweep", one_failure)
    res = run_sensitivity(ketamine, "morris", times_h=(24.0, 168.0), varied=FACTORS,
                          samples=8, seed=3)
    block = len(FACTORS) + 1
    assert res.n_failed == 1 and res.n_dropped == block
    assert not res.samples["used"][block:2 * block].any() and res.samples["used"].sum() == 7 * block
    assert sum(res.failures.values()) == 1
    assert not np.allclose(res.parameters.mu_star, morris.parameters.mu_star)


def test_endpoints(ketamine, model) -> None:
    table = np.tile([p.value for p in model.parameters], (2, 1))
    sw = run_sweep(ketamine, table, np.array([0.0, 24.0, 168.0]))
    madrs = sw.result()["madrs"]
    np.testing.assert_allclose(endpoint_values(sw, "madrs", [168.0]), madrs[:, 2:])
    np.testing.assert_allclose(endpoint_values(sw, "madrs_change", [24.0]),
                               madrs[:, 1:2] - madrs[:, :1])
    np.testing.assert_allclose(endpoint_values(sw, "madrs_percent_change", [24.0]),
                               100 * (madrs[:, 1:2] - madrs[:, :1]) / madrs[:, :1])
    with pytest.raises(UnknownNameError, match="madrs_change"):
        endpoint_values(sw, "madrs_chang", [24.0])


def test_factor_bounds(model) -> None:
    f = {x.name: x for x in choose_factors(model, ["k_syn", "w_il6", "tau_engage"], 0.5)}
    # k_syn's definition value 0.2 /h, +-50 %
    assert (f["k_syn"].low, f["k_syn"].high) == pytest.approx((0.1, 0.3))
    w = model.parameter("w_il6")
    assert f["w_il6"].low == max(w.low, 0.5 * w.value) and f["w_il6"].mechanism == "mood"
    full = choose_factors(model, ["k_syn", "w_il6"], None)[0]
    assert (full.low, full.high) == (0.01, 2.0)
    default = choose_factors(model)
    assert {x.name for x in default} == {p.name for p in model.parameters if p.calibratable}
    with pytest.raises(UnknownNameError, match="k_syn"):
        choose_factors(model, ["k_synn", "w_syn"])
    with pytest.raises(ValidationError, match="at least 2"):
        choose_factors(model, ["k_syn"])


def test_parse_times(ketamine) -> None:
    assert parse_times("1d, 1w,6 week, 36 h", ketamine) == (24.0, 36.0, 168.0, 1008.0)
    with pytest.raises(ValidationError, match="--at"):
        parse_times("13 week", ketamine)  # beyond the 12-week protocol


# ---------------------------------------------------------------------------- CLI
def test_cli_writes_tables_and_figures(tmp_path: Path) -> None:
    out = tmp_path / "sens"
    result = runner.invoke(app, ["sensitivity", str(KETAMINE), "--param",
                                 "k_pot,w_syn", "-p", "tavns_coupling", "--at", "1d,1w",
                                 "--trajectories", "4", "--out", str(out), "--top", "3"])
    assert result.exit_code == 0, result.output
    assert "not medical advice" in result.stdout
    assert "k_pot" in result.stdout and "madrs_change at 1 wk" in result.stdout
    stem = out / "ketamine_single_iv_morris"
    table = pd.read_csv(f"{stem}_parameters.csv")
    assert len(table) == 6 and table.loc[0, "parameter"] in {"k_pot", "w_syn"}
    assert len(pd.read_csv(f"{stem}_samples.csv")) == 4 * 4
    assert len(pd.read_csv(f"{stem}_mechanisms.csv")) == 3 * 2  # 3 mechanisms, 2 times
    for suffix in (".png", ".html"):
        assert Path(f"{stem}{suffix}").stat().st_size > 10_000


@pytest.mark.parametrize(("args", "needles"), [
    (["--param", "k_glu_bdnff,w_syn"], ["Unknown parameter 'k_glu_bdnff'", "k_glu_bdnf"]),
    (["--endpoint", "madrs_chnage"], ["Unknown endpoint", "madrs_change"]),
    (["--trajectories", "2"], ["too few", "at least 4"]),
    (["--method", "sobol", "-n", "20"], ["power of 2"]),
    (["--method", "fast"], ["Unknown method 'fast'"]),
    (["--at", "20 week"], ["--at", "20 week"]),
    (["--band", "0"], ["band must be > 0"]),
    (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], ["either --scheduler"]),
    (["--scheduler", "foo://x:1"], ["--scheduler 'foo://x:1'", "unknown address scheme"]),
])
def test_cli_bad_input_one_line_error(args: list[str], needles: list[str],
                                      tmp_path: Path) -> None:
    result = runner.invoke(app, ["sensitivity", str(KETAMINE), "--out", str(tmp_path / "o"),
                                 *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert not (tmp_path / "o").exists()


def test_salib_wrapper_reproduces_the_analytic_ishigami_indices() -> None:
    """The sampling and analysis wrapper on the Ishigami function (a = 7, b = 0.1, inputs
    uniform on [-pi, pi]), whose Sobol indices are known in closed form (Ishigami & Homma
    1990; Saltelli et al. 2008, Global Sensitivity Analysis: The Primer, sect. 4.5)."""
    from moodtwin.sensitivity_analysis import _analyze, _sample

    a, b = 7.0, 0.1
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    x = _sample("sobol", problem, 4096, 4, seed=3)
    y = np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    s1 = np.array([v1, v2, 0.0]) / var  # 0.314, 0.442, 0
    st = np.array([v1 + v13, v2, v13]) / var  # 0.558, 0.442, 0.244
    idx = _analyze("sobol", problem, x, y, 4, seed=3)
    np.testing.assert_allclose(idx["S1"], s1, atol=0.03)
    np.testing.assert_allclose(idx["ST"], st, atol=0.03)
