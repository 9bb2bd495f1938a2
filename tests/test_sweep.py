"""Sweep engine: chunking, per-patient timelines, failure isolation, Dask equals in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import moodtwin.sweep as sweep_module
from moodtwin.errors import ValidationError
from moodtwin.protocols import load_protocol, timeline_parameters
from moodtwin.result import STATUS_MESSAGES
from moodtwin.simulation import parameter_table, simulate
from moodtwin.sweep import CHUNK_FAILED, ChunkTask, run_chunk, run_sweep

KETAMINE = Path(__file__).resolve().parents[1] / "examples" / "protocols" / \
    "ketamine_single_iv.yaml"
SAVE = np.array([0.0, 24.0, 168.0, 504.0])  # baseline, day 1, week 1, week 3


@pytest.fixture(scope="module")
def protocol():
    return load_protocol(KETAMINE)


@pytest.fixture(scope="module")
def table(model) -> np.ndarray:
    """30 patients: varied severity and synaptic gain, three expectancy weights, and every
    fourth patient drawn from the whole plausible range of every parameter (some of those
    fail in the solver)."""
    rng = np.random.default_rng(7)
    n = 30
    tab = parameter_table({"vulnerability": rng.uniform(-0.5, 0.5, n),
                           "k_syn": rng.uniform(0.05, 0.2, n),
                           "w_expect": np.resize([0.0, 1.0, 2.5], n)}, model)
    low = np.array([p.low for p in model.parameters])
    high = np.array([p.high for p in model.parameters])
    tab[::4] = rng.uniform(low, high, (len(tab[::4]), len(low)))
    return tab


@pytest.fixture(scope="module")
def local(protocol, table):
    res = run_sweep(protocol, table, SAVE, chunk_size=7)
    assert res.chunk_failures == (), res.chunk_failures
    return res


def test_results_do_not_depend_on_chunking_and_match_simulate(protocol, model, local) -> None:
    ok = np.flatnonzero(local.ok)
    one = run_sweep(protocol, local.params, SAVE, chunk_size=1000)
    np.testing.assert_array_equal(one.status, local.status)
    np.testing.assert_array_equal(one.observables, local.observables)  # NaN == NaN here
    np.testing.assert_array_equal(one.states, local.states)
    # simulate() gives every patient its own expectancy weight too (no shared median)
    weights = local.params[ok, model.parameter_index["w_expect"]]
    assert len(set(weights)) >= 3
    values = {p.name: local.params[ok, i] for i, p in enumerate(model.parameters)}
    ref = simulate(protocol, values, save_times_h=SAVE, throw=False)
    # atol: a state near zero is resolved only to the solver's atol (1e-9), scaled by the
    # observables (HAM-A = 56 x anxiety), and the adaptive steps' global error grows past the
    # local tolerances: measured 3.6e-7 at most (round 33, a patient drawn over the whole
    # plausible range), so 1e-6
    np.testing.assert_allclose(local.observables[ok], ref.observables, rtol=1e-6, atol=1e-6)


def test_each_patient_gets_the_timeline_of_its_own_parameters(protocol, model, local) -> None:
    # the IV ketamine timeline reads no patient parameter (esketamine's reads its nasal PK)
    assert timeline_parameters(protocol) == ()
    k = model.parameter_index["w_expect"]
    madrs = local.result()["madrs"]
    ok = local.ok & (np.arange(len(local.ok)) % 4 != 0)  # the varied, non-extreme patients
    change = madrs[:, 2] - madrs[:, 0]
    by_kick = {kick: change[ok & (local.params[:, k] == kick)] for kick in (0.0, 1.0, 2.5)}
    # a larger expectancy weight gives a larger week-1 improvement on average
    # (placebo relief builds up over days after the infusion)
    assert by_kick[0.0].mean() > by_kick[1.0].mean() + 0.5 > by_kick[2.5].mean() + 1.0
    # and a patient alone in a sweep gets exactly what it got among the others
    i = int(np.flatnonzero(ok & (local.params[:, k] == 2.5))[0])
    alone = run_sweep(protocol, local.params[i:i + 1], SAVE)
    np.testing.assert_array_equal(alone.states[0], local.states[i])


def test_failed_patients_do_not_lose_the_others(protocol, local) -> None:
    extreme = np.arange(len(local.status)) % 4 == 0
    failed = np.flatnonzero(local.status != 0)
    assert failed.size >= 1 and set(failed) <= set(np.flatnonzero(extreme))
    assert local.ok[~extreme].all()
    assert np.isnan(local.states[failed, -1]).all()
    assert np.isfinite(local.observables[local.ok]).all()
    i, why = local.failures()[0]
    assert i == failed[0] and why == STATUS_MESSAGES[int(local.status[i])]
    kept = run_sweep(protocol, local.params[local.ok], SAVE, chunk_size=7)
    np.testing.assert_array_equal(kept.observables, local.observables[local.ok])


def test_a_failing_chunk_is_reported_and_the_rest_kept(protocol, local, monkeypatch) -> None:
    real = sweep_module.run_chunk

    def flaky(task: ChunkTask):
        if task.start == 7:
            raise MemoryError("worker ran out of memory")
        return real(task)

    monkeypatch.setattr(sweep_module, "run_chunk", flaky)
    seen: list[tuple[int, int]] = []
    res = run_sweep(protocol, local.params, SAVE, chunk_size=7,
                    progress=lambda done, n: seen.append((done, n)))
    assert [(f.start, f.stop) for f in res.chunk_failures] == [(7, 14)]
    assert "MemoryError: worker ran out of memory" in res.chunk_failures[0].reason
    assert (res.status[7:14] == CHUNK_FAILED).all() and np.isnan(res.states[7:14]).all()
    keep = np.r_[0:7, 14:len(res.status)]
    np.testing.assert_array_equal(res.states[keep], local.states[keep])
    assert dict(res.failures())[8].startswith("MemoryError")
    assert seen[-1] == (30, 30) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_worker_refuses_a_different_model(protocol, table) -> None:
    task = ChunkTask(0, protocol.model_dump(mode="json"), table[1:2], SAVE, {}, "0" * 16)
    with pytest.raises(ValidationError, match="same moodtwin version"):
        run_chunk(task)


@pytest.mark.parametrize(("table_fn", "save", "match"), [
    (lambda t: t[:, :-1], SAVE, "expected \\(patients >= 1"),
    (lambda t: np.where(np.arange(t.shape[1]) == 3, np.nan, t)[:2], SAVE, "row 0"),
    (lambda t: t[1:3] * 0 - 1, SAVE, "row 0"),
    (lambda t: t[1:3], np.array([0.0, 5000.0]), "within \\[0, 2016\\] h"),
    (lambda t: t[1:3], np.array([24.0, 0.0]), "sorted"),
])
def test_bad_input_is_refused(protocol, table, table_fn, save, match) -> None:
    with pytest.raises(ValidationError, match=match):
        run_sweep(protocol, table_fn(table), save)


@pytest.fixture(scope="module")
def client():
    """A local Dask cluster of two worker processes, started by the test itself."""
    from moodtwin.sweep import local_cluster

    client = local_cluster(2)
    yield client
    client.close()
    client.cluster.close()


def test_dask_local_cluster_gives_the_same_numbers(protocol, local, client) -> None:
    """Each chunk ships parameters, not the model; the workers rebuild it."""
    assert len(client.scheduler_info()["workers"]) == 2
    seen: list[int] = []
    res = run_sweep(protocol, local.params, SAVE, chunk_size=4, client=client,
                    progress=lambda done, n: seen.append(done))
    assert res.chunk_failures == ()
    assert sorted(seen) == seen and seen[-1] == 30 and len(seen) == 8
    np.testing.assert_array_equal(res.status, local.status)
    np.testing.assert_array_equal(res.states, local.states)
    np.testing.assert_array_equal(res.observables, local.observables)


def test_cli_sensitivity_on_a_scheduler_matches_in_process(client, tmp_path: Path) -> None:
    """``moodtwin sensitivity --scheduler ADDRESS`` (as on a real cluster) = in-process."""
    from typer.testing import CliRunner

    from moodtwin.cli import app

    args = ["sensitivity", str(KETAMINE), "-p", "k_pot,w_syn,tavns_coupling", "--at",
            "1d", "-n", "4", "--seed", "5"]
    tables, logs = [], []
    for where, extra in (("dask", ["--scheduler", client.scheduler.address]), ("local", [])):
        result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / where), *extra])
        assert result.exit_code == 0, result.output
        logs.append(result.stderr)
        tables.append(pd.read_csv(tmp_path / where / "ketamine_single_iv_morris_parameters.csv"))
    assert "Dask: 2 workers" in logs[0] and "Dask" not in logs[1]
    pd.testing.assert_frame_equal(tables[0], tables[1])


MURROUGH = KETAMINE.parents[1] / "trials" / "ketamine_murrough2013.yaml"


def test_cli_trial_on_a_scheduler_matches_in_process(client, tmp_path: Path) -> None:
    """``moodtwin trial --scheduler ADDRESS``: the population burn-in and every arm run on
    the cluster (chunks carry parameter rows, initial states and the compiled timeline) and
    give the same endpoints and patients as in-process, for the same seed."""
    from typer.testing import CliRunner

    from moodtwin.cli import app

    outs = {}
    for where, extra in (("dask", ["--scheduler", client.scheduler.address]), ("local", [])):
        result = CliRunner().invoke(app, ["trial", str(MURROUGH), "--n", "24", "--seed", "3",
                                          "--out", str(tmp_path / where), *extra])
        assert result.exit_code == 0, result.output
        outs[where] = result
    assert "Dask: 2 workers" in outs["dask"].stderr
    for name in ("endpoints.csv", "patients.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "dask" / name),
                                      pd.read_csv(tmp_path / "local" / name))


def test_dask_engine_keeps_going_when_chunks_fail(client, model) -> None:
    """Chunks whose task raises on the worker (here: a model the workers do not have) give
    CHUNK_FAILED and NaN with the reason recorded, instead of an exception."""
    from moodtwin.protocols import compile_protocol
    from moodtwin.simulation import SolverOptions
    from moodtwin.sweep import DaskEngine

    engine = DaskEngine(client, chunk_size=2)
    tl = compile_protocol(load_protocol(KETAMINE), model, model.defaults())
    tab = parameter_table({"vulnerability": np.linspace(-0.3, 0.3, 5)}, model)
    states, status, obs = engine(model, tab, tl, SAVE, SolverOptions())
    assert np.all(status == 0) and np.isfinite(obs).all() and engine.failures == []

    class Foreign:  # the same model under equations the workers do not know
        def __getattr__(self, name):
            return getattr(model, name)

        structure_key = "0" * 16

    states, status, obs = engine(Foreign(), tab, tl, SAVE, SolverOptions())
    assert np.all(status == CHUNK_FAILED) and np.isnan(obs).all()
    assert len(engine.failures) == 3 and "differ from the client's" in engine.failures[0].reason
    assert "Dask cluster" in STATUS_MESSAGES[CHUNK_FAILED]
