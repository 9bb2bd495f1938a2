"""ABC-SMC machinery on a toy model with known parameters (not on the shipped numbers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodtwin.calibration import Prior, abc_smc

TRUTH = {"a": 2.0, "b": 0.5}


def _noisy_line():  # type: ignore[no-untyped-def]
    """Toy problem: a line a*x + b with known a, b and noise SD 0.05; distance = chi-square."""
    x = np.linspace(0.0, 1.0, 8)
    sigma = 0.05
    data = TRUTH["a"] * x + TRUTH["b"] + np.random.default_rng(0).normal(0.0, sigma, x.size)

    def distance(v: dict[str, float]) -> float:
        return float(np.sum(((v["a"] * x + v["b"] - data) / sigma) ** 2))

    return TRUTH, distance, [Prior("a", 0.1, 10.0, "toy"), Prior("b", 0.05, 5.0, "toy")]


def test_abc_smc_recovers_known_parameters_and_resumes(tmp_path) -> None:
    truth, distance, priors = _noisy_line()
    db = tmp_path / "abc.db"
    first = abc_smc(distance, priors, database=db, population_size=60, generations=3)
    post = abc_smc(distance, priors, database=db, population_size=60, generations=7)
    assert len(post.epsilons) == 7 and post.epsilons[-1] < first.epsilons[-1]  # resumed
    interval = post.interval(0.95)
    for name, value in truth.items():
        lo, hi = interval[name]
        assert lo <= value <= hi, (name, lo, hi)
    shrink = post.contraction()
    assert shrink["a"] > 0.9 and shrink["b"] > 0.9  # the data pin both


def test_leave_one_group_out_flags_the_group_a_wrong_model_cannot_predict(tmp_path) -> None:
    """Straight-line model; group 'low' (x < 0.5) and 'high' (x >= 0.5) data. When the data
    follow the line, each group is predicted from the other; when the 'high' data bend
    upward (a quadratic the line cannot follow), the held-out 'high' group fails."""
    from moodtwin.calibration._loto import Observed, leave_one_group_out

    x = np.linspace(0.0, 1.0, 8)
    sigma = 0.05
    priors = [Prior("a", 0.1, 10.0, "toy"), Prior("b", 0.05, 5.0, "toy")]

    def run(data: np.ndarray, name: str):  # type: ignore[no-untyped-def]
        def score(v: dict[str, float]) -> dict[str, tuple[float, float]]:
            sim = v["a"] * x + v["b"]
            return {f"y{i}": (float(sim[i]), float(((sim[i] - data[i]) / sigma) ** 2))
                    for i in range(x.size)}

        def distance(v: dict[str, float]) -> float:
            return float(sum(z2 for _, z2 in score(v).values()))

        post = abc_smc(distance, priors, database=tmp_path / f"{name}.db",
                       population_size=60, generations=6)
        observed = [Observed(f"y{i}", "low" if x[i] < 0.5 else "high", float(data[i]), sigma)
                    for i in range(x.size)]
        return leave_one_group_out(post, score, observed, proposals=400, accept=0.1)

    line = 2.0 * x + 0.5 + np.random.default_rng(1).normal(0.0, sigma, x.size)
    good = run(line, "line").table
    assert good["pass"].mean() >= 0.75, good
    bent = line + np.where(x >= 0.5, 3.0 * (x - 0.5) ** 2 * 4, 0.0)
    bad = run(bent, "bent").table
    assert not bad.loc[bad["trial"] == "high", "pass"].all(), bad


def test_identifiability_flags_a_product_the_data_pin_only_jointly(tmp_path) -> None:
    """y = a * b * x pins the product a*b, not a and b: each is 'not pinned' or weakly
    pinned, and they are strongly negatively correlated; c (an offset) is pinned."""
    x = np.linspace(0.0, 1.0, 8)
    data = 2.0 * x + 0.5

    def distance(v: dict[str, float]) -> float:
        return float(np.sum(((v["a"] * v["b"] * x + v["c"] - data) / 0.05) ** 2))

    priors = [Prior("a", 0.2, 20.0, "toy"), Prior("b", 0.2, 20.0, "toy"),
              Prior("c", 0.05, 5.0, "toy")]
    post = abc_smc(distance, priors, database=tmp_path / "p.db", population_size=80,
                   generations=6)
    rows = {r["parameter"]: r for r in post.identifiability()}
    assert rows["c"]["verdict"] == "pinned"
    assert rows["a"]["verdict"] != "pinned" and rows["b"]["verdict"] != "pinned"
    assert rows["a"]["most_correlated_with"] == "b" and rows["a"]["correlation"] < -0.7


def test_replenishment_abc_recovers_known_parameters_keeps_its_ensemble_and_resumes(
        tmp_path) -> None:
    from moodtwin.calibration._replenish import abc_replenish

    truth, distance, priors = _noisy_line()
    ck = tmp_path / "abc.npz"
    first = abc_replenish(distance, priors, checkpoint=ck, particles=80, generations=4)
    post = abc_replenish(distance, priors, checkpoint=ck, particles=80, generations=10,
                         mcmc_steps=4)
    assert len(post.epsilons) == 10 and post.epsilons[-1] < first.epsilons[-1]  # resumed
    assert post.ess() > 20  # equal weights, moved particles: no collapse
    interval = post.interval(0.95)
    for name, value in truth.items():
        lo, hi = interval[name]
        assert lo <= value <= hi, (name, lo, hi)
    assert min(post.contraction().values()) > 0.9


def test_reflection_keeps_proposals_in_the_prior_box() -> None:
    from moodtwin.calibration._replenish import _reflect

    lo, hi = np.array([0.0, -1.0]), np.array([1.0, 1.0])
    x = np.array([[0.5, 0.0], [1.2, -1.5], [-0.3, 3.5], [2.7, 0.2]])
    out = _reflect(x, lo, hi)
    np.testing.assert_allclose(out, [[0.5, 0.0], [0.8, -0.5], [0.3, -0.5], [0.7, 0.2]])


def test_replenishment_started_from_another_models_population_still_recovers_the_truth(
        tmp_path) -> None:
    # A first run fits only `a` with `b` wrongly fixed at 1.5 (a model change); a new run of
    # the corrected model starts from that population (b drawn from its prior) and must
    # still recover both known values: the start affects mixing, not the target.
    from moodtwin.calibration._replenish import abc_replenish

    truth, distance, priors = _noisy_line()
    old = tmp_path / "old.npz"
    abc_replenish(lambda v: distance({"a": v["a"], "b": 1.5}), priors[:1], checkpoint=old,
                  particles=60, generations=4)
    post = abc_replenish(distance, priors, checkpoint=tmp_path / "new.npz", particles=60,
                         generations=10, mcmc_steps=4, start_from=old)
    interval = post.interval(0.95)
    for name, value in truth.items():
        lo, hi = interval[name]
        assert lo <= value <= hi, (name, lo, hi)
    assert min(post.contraction().values()) > 0.9


def test_unreadable_or_nameless_start_population_is_a_one_line_error(tmp_path) -> None:
    import pytest

    from moodtwin.calibration._replenish import abc_replenish
    from moodtwin.errors import ValidationError

    _, distance, priors = _noisy_line()
    junk, nameless = tmp_path / "junk.npz", tmp_path / "old.npz"
    junk.write_text("not a checkpoint")
    np.savez(nameless, x=np.zeros((4, 2)))
    for bad, why in ((junk, "not a readable"), (nameless, "no parameter names")):
        with pytest.raises(ValidationError, match=why):
            abc_replenish(distance, priors, checkpoint=tmp_path / "new.npz", particles=4,
                          generations=1, start_from=bad)


def test_start_parameter_clipped_to_a_moved_prior_bound_keeps_a_spread(tmp_path) -> None:
    # A start population whose values of "b" all lie below the current prior (its bound moved)
    # would be clipped to one value, and the covariance-scaled MCMC moves would never move it.
    import numpy as np

    from moodtwin.calibration._replenish import _start_population

    rng = np.random.default_rng(0)
    old = tmp_path / "old.npz"
    np.savez(old, x=np.column_stack([rng.normal(0.0, 0.3, 50), np.full(50, -3.0)]),
             names=["a", "b"])
    lo, hi = np.array([-2.0, -1.0]), np.array([2.0, 1.0])
    x = _start_population(old, ["a", "b"], lo, hi, 40, rng)
    assert np.all((x >= lo) & (x <= hi))
    assert np.ptp(x[:, 1]) > 0.05 * (hi[1] - lo[1])  # jittered off the bound
    assert np.all(x[:, 1] <= lo[1] + 0.1 * (hi[1] - lo[1]) + 1e-12)  # but stays near it
    assert np.ptp(x[:, 0]) > 0.5  # a parameter with its own spread is kept as it was


def test_particles_on_a_prior_bound_are_evaluated_inside_the_range(tmp_path) -> None:
    # Round 47: a start population below a raised lower bound is put on the bound in log
    # space; exp(log(7.75)) is 7.749999999999999, which a parameter's range check refuses,
    # so every such particle got the failure distance. The values evaluated, and those of the
    # posterior, are now clipped into the prior's range.
    from moodtwin.calibration._replenish import abc_replenish

    priors = [Prior("a", 0.1, 10.0, "toy"), Prior("b", 7.75, 24.0, "toy")]
    seen: list[float] = []

    def distance(v: dict[str, float]) -> float:
        seen.append(v["b"])
        if not 7.75 <= v["b"] <= 24.0:
            raise AssertionError(f"b = {v['b']!r} outside its range")
        return (v["a"] - 2.0) ** 2

    old = tmp_path / "old.npz"
    rng = np.random.default_rng(1)
    np.savez(old, x=np.column_stack([rng.normal(np.log(2.0), 0.3, 20),
                                     np.full(20, np.log(6.8))]), names=["a", "b"])
    post = abc_replenish(distance, priors, checkpoint=tmp_path / "new.npz", particles=20,
                         generations=2, start_from=old)
    assert min(seen) >= 7.75 and np.all(post.samples[:, 1] >= 7.75)
    assert np.isfinite(post.distances).all()


def test_converged_start_parameter_gets_a_small_spread_that_keeps_its_fit(tmp_path) -> None:
    # A population that has converged inside the box (no spread in "b") gets a spread for the
    # moves of 1 % of the prior's width around its value, not the 10 % that frees a bound.
    import numpy as np

    from moodtwin.calibration._replenish import _start_population

    rng = np.random.default_rng(2)
    old = tmp_path / "old.npz"
    np.savez(old, x=np.column_stack([rng.normal(0.0, 0.3, 50), np.full(50, 0.3)]),
             names=["a", "b"])
    lo, hi = np.array([-2.0, -1.0]), np.array([2.0, 1.0])
    x = _start_population(old, ["a", "b"], lo, hi, 200, rng)
    width = hi[1] - lo[1]
    assert 0.015 * width < np.ptp(x[:, 1]) <= 0.02 * width
    assert np.all(np.abs(x[:, 1] - 0.3) <= 0.01 * width + 1e-12)


def test_redrawn_start_parameter_spans_its_prior(tmp_path) -> None:
    # A warm start keeps a parameter's old, narrow spread; --redraw draws it from its prior
    # (log-uniform over the box) instead, and leaves the others as they were.
    import numpy as np
    import pytest

    from moodtwin.calibration._replenish import _start_population
    from moodtwin.errors import ValidationError

    rng = np.random.default_rng(1)
    old = tmp_path / "old.npz"
    np.savez(old, x=np.column_stack([rng.normal(0.0, 0.05, 50), rng.normal(-0.9, 0.01, 50)]),
             names=["a", "b"])
    lo, hi = np.array([-2.0, -1.0]), np.array([2.0, 1.0])
    x = _start_population(old, ["a", "b"], lo, hi, 200, rng, redraw=["b"])
    assert np.ptp(x[:, 1]) > 0.9 * (hi[1] - lo[1])
    assert abs(np.mean(x[:, 1])) < 0.15  # uniform over [-1, 1]
    assert np.ptp(x[:, 0]) < 0.5  # not redrawn: the old population's spread
    with pytest.raises(ValidationError, match="redraw: c is not calibrated"):
        _start_population(old, ["a", "b"], lo, hi, 10, rng, redraw=["c"])


def test_move_steps_follow_drovandi_and_pettitts_rule() -> None:
    from moodtwin.calibration._replenish import move_steps

    assert move_steps(0.22, 2, None) == 2  # no cap: always the fixed number
    assert move_steps(0.22, 2, 50) == 19  # 0.78^19 < 0.01 <= 0.78^18
    assert 0.78**19 < 0.01 <= 0.78**18
    assert move_steps(0.9, 2, 50) == 2 and move_steps(0.01, 2, 50) == 50
    assert move_steps(1.0, 3, 50) == 3 and move_steps(0.0, 3, 50) == 50


def test_adaptive_moves_keep_more_distinct_particles_at_a_tight_tolerance(tmp_path) -> None:
    # With one move per refilled particle, falling acceptance leaves many refills as copies
    # of a survivor (found in round 18: 47 distinct of 100, ESS 19.6); moves that grow with
    # falling acceptance keep the population diverse and still recover the truth.
    from moodtwin.calibration._replenish import abc_replenish

    truth, distance, priors = _noisy_line()
    fixed = abc_replenish(distance, priors, checkpoint=tmp_path / "f.npz", particles=60,
                          generations=9, mcmc_steps=1)
    grown = abc_replenish(distance, priors, checkpoint=tmp_path / "g.npz", particles=60,
                          generations=9, mcmc_steps=1, mcmc_max_steps=30)
    assert grown.ess() > fixed.ess() and grown.ess() > 40
    interval = grown.interval(0.95)
    for name, value in truth.items():
        lo, hi = interval[name]
        assert lo <= value <= hi, (name, lo, hi)


def test_replenishment_only_options_are_refused_for_pyabc(tmp_path) -> None:
    import pytest

    from moodtwin.calibration import calibrate
    from moodtwin.errors import ValidationError

    _, _, priors = _noisy_line()
    with pytest.raises(ValidationError, match="mcmc_max_steps: only the replenishment"):
        calibrate([], priors, database=tmp_path / "a.db", method="pyabc", mcmc_max_steps=5)
    with pytest.raises(ValidationError, match="start_from: only the replenishment"):
        calibrate([], priors, database=tmp_path / "a.db", method="pyabc",
                  start_from=tmp_path / "old.npz")


def test_refreshed_replenishment_selects_every_generation_on_its_own_realization(
        tmp_path) -> None:
    # A noisy simulator whose distance on realization g is the toy chi-square plus 1e6 g:
    # each generation must re-evaluate the whole population on its own realization, so at
    # the end every particle's distance is one of the last realization's (none carried over
    # from an earlier, luckier one) and the tolerances step up with the realizations.
    from moodtwin.calibration._replenish import abc_replenish

    truth, distance, priors = _noisy_line()
    seen: set[int] = set()

    def on_realization(values: dict[str, float], generation: int) -> float:
        seen.add(generation)
        return distance(values) + 1e6 * generation

    post = abc_replenish(on_realization, priors, checkpoint=tmp_path / "r.npz", particles=40,
                         generations=4, mcmc_steps=2, refresh=True)
    assert seen == {0, 1, 2, 3}
    assert np.all(post.distances // 1e6 == 3)
    assert [int(e // 1e6) for e in post.epsilons] == [0, 1, 2, 3]
    interval = post.interval(0.95)
    for name, value in truth.items():
        lo, hi = interval[name]
        assert lo <= value <= hi, (name, lo, hi)


def test_two_mode_start_moves_every_second_particle_along_the_ridge(tmp_path) -> None:
    """``benchmarks/calibration/start_two_modes.py`` (round 26's start population) multiplies
    ``syn_gap`` by 0.46 and ``k_syn`` by 3 in every second particle and leaves the rest; the
    committed start file is that script's output for the committed round-25 population."""
    import importlib.util

    folder = Path(__file__).resolve().parents[1] / "benchmarks" / "calibration"
    spec = importlib.util.spec_from_file_location("start_two_modes",
                                                  folder / "start_two_modes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "start.npz"
    module.main(str(folder / "abc_s25.npz"), str(out))
    old, new = np.load(folder / "abc_s25.npz"), np.load(out)
    names = [str(n) for n in old["names"]]
    ratio = np.exp(new["x"] - old["x"])
    moved = np.arange(len(ratio)) % 2 == 1
    for j, name in enumerate(names):
        factor = {"syn_gap": 0.46, "k_syn": 3.0}.get(name, 1.0)
        assert np.allclose(ratio[moved, j], factor), name
        assert np.allclose(ratio[~moved, j], 1.0), name
    assert np.array_equal(new["x"], np.load(folder / "abc_s26_start.npz")["x"])


def test_profile_interval_is_where_a_parabola_rises_by_the_chi_square_90_point() -> None:
    """A distance D(x) = c (x - m)^2 in x = log(value) rises by 2.706 (chi-square(1), 90 %)
    at m +- sqrt(2.706 / c): three evaluations (point, /1.25, x1.25) recover it exactly; a
    flat or falling profile pins nothing (the prior range comes back), and an interval
    that reaches a prior bound is clipped and not called pinned."""
    import math

    from moodtwin.calibration._profile import CHI2_90, interval_from_profile

    assert math.isclose(CHI2_90, 2.706, abs_tol=1e-3)
    c, m, h = 30.0, 0.05, math.log(1.25)
    rise = lambda x: c * (x - m) ** 2 - c * m**2  # noqa: E731 - D(x) - D(0)
    lo, hi, pinned = interval_from_profile(1.0, rise(-h), rise(h), 1.25, 1e-3, 1e3)
    half = math.sqrt(2.706 / c)
    assert pinned
    assert math.isclose(math.log(lo), m - half, abs_tol=1e-3)
    assert math.isclose(math.log(hi), m + half, abs_tol=1e-3)
    assert interval_from_profile(2.0, 0.0, 0.0, 1.25, 0.5, 8.0) == (0.5, 8.0, False)
    assert interval_from_profile(2.0, -1.0, -0.5, 1.25, 0.5, 8.0) == (0.5, 8.0, False)
    lo, hi, pinned = interval_from_profile(1.0, rise(-h), rise(h), 1.25, 1.0, 1e3)
    assert lo == 1.0 and not pinned
    # an almost flat profile: the interval is the prior (no overflow of exp)
    assert interval_from_profile(1.0, 1e-12, 1e-12, 1.25, 0.5, 2.0) == (0.5, 2.0, False)


def test_profile_of_a_toy_distance_pins_the_value_it_depends_on_only(monkeypatch) -> None:
    """With a toy distance that depends on one value only, the profile pins that value
    around its truth and leaves the other unpinned (its whole prior range)."""
    import math

    import moodtwin.calibration._profile as prof
    from moodtwin.parameter_sets import ParameterSet

    truth = 0.2  # k_pot, log-quadratic distance with curvature 50 around the truth

    def toy(targets, *, n_max, seed, parameters, realizations):  # noqa: ARG001
        return lambda values: 50.0 * math.log(values.get("k_pot", truth) / truth) ** 2 \
            + 0.01 * seed
    monkeypatch.setattr(prof, "trial_distance", toy)
    ps = ParameterSet.definition().with_values({"k_pot": truth})
    priors = [Prior("k_pot", 0.02, 2.0, "toy"), Prior("tau_dep", 2.0, 30.0, "toy")]
    table = prof.profile_distances([], ps, priors, seeds=(1, 2)).set_index("parameter")
    half = math.sqrt(2.706 / 50.0)
    assert table.loc["k_pot", "pinned"]
    assert math.isclose(table.loc["k_pot", "profile_low_90"], truth * math.exp(-half),
                        rel_tol=1e-6)
    assert math.isclose(table.loc["k_pot", "profile_high_90"], truth * math.exp(half),
                        rel_tol=1e-6)
    assert not table.loc["tau_dep", "pinned"]
    assert (table.loc["tau_dep", "profile_low_90"], table.loc["tau_dep", "profile_high_90"]) \
        == (2.0, 30.0)


def test_mean_field_ensemble_spreads_each_value_by_its_profile_half_widths() -> None:
    """Members are log-normal around the point with the profile's 90 % half-width on each
    side as 1.645 SD (the normal 90 % point), clipped to the interval: for an interval of
    +-0.2 in the log the member SD is 0.2/1.645 = 0.122, times 0.9118 for a standard normal
    clipped at +-1.645 (5 % piled on each bound), and no member leaves the interval; a
    one-sided interval keeps the point's side (half the members on the bound)."""
    import math

    import pandas as pd

    from moodtwin.calibration import mean_field_ensemble

    table = pd.DataFrame({"parameter": ["a", "b"], "point": [1.0, 2.0],
                          "profile_low_90": [math.exp(-0.2), 2.0],
                          "profile_high_90": [math.exp(0.2), 6.0]})
    members = mean_field_ensemble(table, 4000, seed=3)
    a = np.log([m["a"] for m in members])
    b = np.array([m["b"] for m in members])
    assert a.min() >= -0.2 - 1e-12 and a.max() <= 0.2 + 1e-12
    # SD of a standard normal clipped at +-1.645: 0.9118 (times 0.2 / 1.645)
    assert abs(a.std() - 0.9118 * 0.2 / 1.645) < 0.003 and abs(a.mean()) < 0.01
    assert b.min() >= 2.0 and b.max() <= 6.0 and np.mean(b == 2.0) > 0.45


def test_profile_notes_in_sources_replace_earlier_ones() -> None:
    """Annotating a set's sources twice leaves one note per value (the second replaces the
    first), for model parameters and population values alike."""
    import copy

    import pandas as pd

    from moodtwin.calibration._profile import annotate_sources

    doc = {"parameters": {"k_pot": {"value": 0.05, "source": "calibrated to 42 targets."}},
           "population": {"variability.k_pot.omega": {"value": 0.2, "source": "calibrated"}}}
    table = pd.DataFrame({"parameter": ["k_pot", "population.variability.k_pot.omega"],
                          "profile_low_90": [0.03, 0.1], "profile_high_90": [0.06, 1.0],
                          "pinned": [True, False]})
    once = annotate_sources(copy.deepcopy(doc), table, "t.csv")
    twice = annotate_sources(copy.deepcopy(once), table, "t.csv")
    assert once == twice
    assert once["parameters"]["k_pot"]["source"] == (
        "calibrated to 42 targets; one-at-a-time distance-profile 90% interval [0.03, 0.06] "
        "(pinned; t.csv)")
    assert "not pinned" in once["population"]["variability.k_pot.omega"]["source"]


@pytest.mark.parametrize("workers", [1, 2])
def test_replenishment_reports_progress_inside_a_generation(tmp_path, workers) -> None:
    # A generation of the shipped calibration at a small Monte-Carlo error takes about an
    # hour: progress must come every PROGRESS_EVERY evaluations, in order, and the worker
    # processes must return the same distances as one process.
    from moodtwin.calibration._replenish import PROGRESS_EVERY, abc_replenish

    _, distance, priors = _noisy_line()
    heard: list[str] = []
    post = abc_replenish(distance, priors, checkpoint=tmp_path / f"p{workers}.npz",
                         particles=25, generations=2, mcmc_steps=1, workers=workers,
                         progress=heard.append)
    counts = [m.split(": ")[1].split(" ")[0] for m in heard if m.startswith("  generation 0:")]
    assert counts == [f"{k}/25" for k in (PROGRESS_EVERY, 2 * PROGRESS_EVERY, 25)]
    assert any(m.startswith("  generation 1, move 1/1:") for m in heard)
    one = abc_replenish(distance, priors, checkpoint=tmp_path / f"q{workers}.npz",
                        particles=25, generations=2, mcmc_steps=1, workers=1)
    assert np.array_equal(post.distances, one.distances)


def test_a_run_killed_mid_generation_resumes_there_and_copies_run_once(tmp_path) -> None:
    # Refreshed generations re-evaluate a resampled population that holds copies: each
    # distinct particle is simulated once per batch. A run killed inside a generation keeps
    # the distances saved every PROGRESS_EVERY evaluations (``<checkpoint>.partial.npz``) and
    # resumes there, ending exactly where an uninterrupted run ends.
    from moodtwin.calibration._replenish import PROGRESS_EVERY, abc_replenish

    _, distance, priors = _noisy_line()
    calls: list[int] = []

    def counted(values: dict[str, float], generation: int) -> float:
        calls.append(generation)
        return distance(values) + generation

    run = {"particles": 30, "generations": 3, "mcmc_steps": 1, "refresh": True}
    ref = abc_replenish(counted, priors, checkpoint=tmp_path / "ref.npz", **run)
    n_ref = len(calls)
    moves = 30 - (30 // 2 + 1)
    assert n_ref < 30 + 2 * (30 + moves)  # copies were not simulated again

    class Killed(Exception):
        pass

    calls.clear()

    def dying(values: dict[str, float], generation: int) -> float:
        if len(calls) == 45:
            raise Killed
        return counted(values, generation)

    with pytest.raises(Killed):
        abc_replenish(dying, priors, checkpoint=tmp_path / "k.npz", **run)
    assert (tmp_path / "k.partial.npz").exists()
    calls.clear()
    resumed = abc_replenish(counted, priors, checkpoint=tmp_path / "k.npz", **run)
    assert n_ref - 45 <= len(calls) < n_ref - 45 + PROGRESS_EVERY
    assert np.array_equal(resumed.samples, ref.samples)
    assert np.array_equal(resumed.distances, ref.distances)
    assert not (tmp_path / "k.partial.npz").exists()


def test_an_unreadable_partial_generation_is_one_clear_error_and_a_foreign_one_is_ignored(
        tmp_path) -> None:
    from moodtwin.calibration._replenish import abc_replenish
    from moodtwin.errors import ValidationError

    _, distance, priors = _noisy_line()
    (tmp_path / "ck.partial.npz").write_text("garbage")
    with pytest.raises(ValidationError, match=r"ck\.partial\.npz is not a readable .*Delete it"):
        abc_replenish(distance, priors, checkpoint=tmp_path / "ck.npz", particles=8,
                      generations=1)
    # another run's file holding this run's very first batch (its prior draws, seed 0) at
    # distance 0: taken over, it would decide the whole run
    lo, hi = np.log([p.low for p in priors]), np.log([p.high for p in priors])
    draws = lo + (hi - lo) * np.random.default_rng([0, 0]).uniform(size=(8, 2))
    np.savez(tmp_path / "ck.partial.npz", run="another run",
             tags=np.array(["generation 0"] * 8), x=draws, d=np.zeros(8))
    post = abc_replenish(distance, priors, checkpoint=tmp_path / "ck.npz", particles=8,
                         generations=1)
    assert np.all(post.distances > 0.0)  # nothing taken from the other run's file
    assert not (tmp_path / "ck.partial.npz").exists()
