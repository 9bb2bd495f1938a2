"""Parameter sweeps: many patients under one protocol, in-process or on a Dask cluster.

Populations, sensitivity samples and calibration batches are a (patients x parameters)
table. :func:`run_sweep` cuts it into chunks; each chunk is one task that carries plain data
only (the protocol as a JSON-ready dict, the chunk's rows, the save times, the solver
options and the model's structure key). The worker rebuilds the model and loads its compiled
kernel itself (both cached per process, the kernel from the on-disk numba cache), so neither
the model nor compiled code is ever pickled. Every patient is integrated independently, so
the numbers do not depend on the chunking or on where a chunk runs.

:class:`DaskEngine` is the same idea as a drop-in for :func:`moodtwin.simulation.run_engine`:
virtual trials, their population burn-in and calibration batches take ``engine=`` and then
ship each chunk's parameter rows, initial states and the compiled protocol timeline (plain
arrays) to the cluster.

Research software, not medical advice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from moodtwin.errors import ValidationError
from moodtwin.extras import require
from moodtwin.model import Model, default_model
from moodtwin.parameter_sets import ParametersLike, resolve
from moodtwin.protocols import (
    Protocol,
    ProtocolLike,
    Timeline,
    compile_per_patient,
    parse_protocol,
    resolve_protocol,
)
from moodtwin.result import CHUNK_FAILED, STATUS_MESSAGES, Result
from moodtwin.simulation import SolverOptions, parameter_table, run_engine, run_groups
from moodtwin.workers import threads_per_worker

DEFAULT_CHUNK_SIZE = 128

Progress = Callable[[int, int], None]  # (patients finished, patients in all)


@dataclass(frozen=True)
class ChunkTask:
    """One unit of work: everything a worker needs, as plain picklable data."""

    start: int  # index of the chunk's first patient in the sweep
    protocol: dict[str, Any]  # Protocol.model_dump(mode="json")
    params: np.ndarray  # (patients in chunk, parameters)
    save_t: np.ndarray  # h
    options: dict[str, Any]  # SolverOptions fields
    structure_key: str  # equations of the model the table was written for


@dataclass(frozen=True)
class ChunkFailure:
    """A chunk whose task raised: patients ``start`` to ``stop - 1`` and the reason."""

    start: int
    stop: int
    reason: str


@dataclass(frozen=True)
class SweepResult:
    """Outputs of a sweep at the save times, one row per patient of the input table.

    Attributes
    ----------
    t : save times, h from baseline.
    states, observables : (patients, times, states | observables); NaN where failed.
    status : (patients,) 0 = success, 1-3 = solver failure (see
        :data:`~moodtwin.result.STATUS_MESSAGES`), ``CHUNK_FAILED`` = the chunk's task failed.
    params : the (patients, parameters) table.
    chunk_failures : chunks whose task raised, with the reason.
    """

    model: Model
    protocol_name: str
    t: np.ndarray
    states: np.ndarray
    observables: np.ndarray
    status: np.ndarray
    params: np.ndarray
    chunk_failures: tuple[ChunkFailure, ...]

    @property
    def ok(self) -> np.ndarray:
        """(patients,) True where the integration succeeded."""
        return self.status == 0

    def failures(self) -> list[tuple[int, str]]:
        """(patient index, reason) for every patient without results."""
        why = {i: f.reason for f in self.chunk_failures for i in range(f.start, f.stop)}
        return [(int(i), why.get(int(i), STATUS_MESSAGES.get(int(c), f"status {c}")))
                for i, c in enumerate(self.status) if c != 0]

    def result(self) -> Result:
        """As a :class:`~moodtwin.result.Result` (latent scores, no day-to-day fluctuation)."""
        n, nt = self.status.shape[0], self.t.shape[0]
        return Result(self.model, self.protocol_name, self.t, self.states, self.observables,
                      self.status, self.params, np.zeros((n, nt, 2)))


# ---------------------------------------------------------------------------- worker side
def _until(timeline: Timeline, horizon: float) -> Timeline:
    """``timeline`` cut at ``horizon`` h: no integration past the last save time."""
    n = max(1, int(np.count_nonzero(timeline.t[:-1] < horizon)))
    return dataclasses.replace(
        timeline, t=np.append(timeline.t[:n], max(horizon, timeline.t[0])),
        u=timeline.u[:n], jump=timeline.jump[:n])


def _worker_model(structure_key: str) -> Model:
    """The model a worker integrates: its own default model, refused if its equations differ
    from the client's (parameter values travel in the tasks' tables)."""
    model = default_model()
    if model.structure_key != structure_key:
        raise ValidationError(
            f"The worker's model equations ({model.structure_key}) differ from the client's "
            f"({structure_key}); install the same moodtwin version on every worker.")
    return model


def run_chunk(task: ChunkTask) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integrate one chunk; returns (states, status, observables). Runs on a worker.

    Each patient gets the timeline of its own values of the protocol's
    :func:`~moodtwin.protocols.timeline_parameters`.
    """
    model = _worker_model(task.structure_key)
    protocol = parse_protocol(task.protocol)
    horizon = float(task.save_t[-1])
    groups = [(rows, _until(tl, horizon))
              for rows, tl in compile_per_patient(protocol, model, task.params)]
    return run_groups(model, task.params, groups, task.save_t, SolverOptions(**task.options))


# ---------------------------------------------------------------------------- client side
def _check_table(table: np.ndarray, model: Model) -> np.ndarray:
    table = np.asarray(table, dtype=float)
    if table.ndim != 2 or table.shape[1] != len(model.parameters) or table.shape[0] == 0:
        raise ValidationError(
            f"Parameter table has shape {table.shape}; expected (patients >= 1, "
            f"{len(model.parameters)}) with columns in model.parameters order "
            f"(build it with moodtwin.simulation.parameter_table).")
    low = np.array([p.low for p in model.parameters])
    high = np.array([p.high for p in model.parameters])
    bad = ~np.isfinite(table) | (table < low) | (table > high)
    if bad.any():
        i, j = (int(k[0]) for k in np.nonzero(bad))
        p = model.parameters[j]
        raise ValidationError(
            f"Parameter table row {i}: {p.name!r} = {table[i, j]:g} {p.unit} is outside its "
            f"plausible range [{p.low:g}, {p.high:g}] {p.unit}.")
    return table


def _check_save_times(save_times_h: np.ndarray, protocol: Protocol) -> np.ndarray:
    save_t = np.atleast_1d(np.asarray(save_times_h, dtype=float))
    end = protocol.duration_h()
    if (save_t.size == 0 or not np.isfinite(save_t).all() or np.any(np.diff(save_t) < 0)
            or save_t[0] < 0 or save_t[-1] > end):
        raise ValidationError(f"save_times_h must be sorted within [0, {end:g}] h "
                              f"(the protocol's duration {protocol.duration!r}).")
    return save_t


def _tasks(protocol: Protocol, table: np.ndarray, save_t: np.ndarray, options: SolverOptions,
           model: Model, chunk_size: int) -> Iterator[ChunkTask]:
    spec = protocol.model_dump(mode="json")
    opts = dataclasses.asdict(options)
    for start in range(0, table.shape[0], chunk_size):
        yield ChunkTask(start, spec, table[start:start + chunk_size], save_t, opts,
                        model.structure_key)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split()) or 'no message'}"


def _completed(fn: Callable[[Any], Any], tasks: list[Any], client: Any
               ) -> Iterator[tuple[Any, Any]]:
    """(task, ``fn(task)`` or the exception it raised) for every task, in this process
    (``client`` None) or on the Dask cluster as tasks finish: one chunk's failure (a raising
    task, a lost worker) never loses the others."""
    if client is None:
        for task in tasks:
            try:
                yield task, fn(task)
            except Exception as exc:
                yield task, exc
        return
    from distributed import as_completed

    futures = {client.submit(fn, task, pure=False): task for task in tasks}
    for future in as_completed(futures):
        try:
            out = future.result()
        except Exception as exc:
            out = exc
        yield futures[future], out
        future.release()


def run_sweep(
    protocol: ProtocolLike,
    table: np.ndarray | Mapping[str, float | np.ndarray],
    save_times_h: np.ndarray,
    *,
    parameters: ParametersLike = None,
    chunk_size: int | None = None,
    client: Any = None,
    options: SolverOptions | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Simulate every row of ``table`` under ``protocol``.

    **Arguments:**

    - ``protocol``: a :class:`~moodtwin.protocols.Protocol` or a protocol file (YAML).
    - ``table``: overrides by parameter name (arrays: one patient per element) of the
      ``parameters`` set, or a full (patients, parameters) array in ``model.parameters``
      order, e.g. from :func:`moodtwin.simulation.parameter_table`; every value must lie in
      its plausible range.
    - ``parameters``: the :class:`~moodtwin.ParameterSet` (default: the calibrated set); a
      full array replaces all its values.
    - ``save_times_h``: sorted output times in h within the protocol; integration stops at
      the last one.
    - ``chunk_size``: patients per task (each patient takes about 5-50 ms). Default:
      ``DEFAULT_CHUNK_SIZE``, with a client at most enough for 4 tasks per worker.
    - ``client``: a ``dask.distributed.Client``; ``None`` runs the chunks in this process.
    - ``options``: solver tolerances and limits (default :class:`SolverOptions()`).
    - ``progress``: called with (patients finished, patients in all) after each chunk.

    **Returns:** a :class:`SweepResult`. A chunk whose task raises (e.g. a lost worker) is
    reported in ``chunk_failures`` and its patients get status ``CHUNK_FAILED``; the other
    chunks are kept. Results do not depend on ``chunk_size`` or ``client``.
    """
    protocol = resolve_protocol(protocol)
    model = resolve(parameters).model
    if isinstance(table, Mapping):
        table = parameter_table(table, model)
    table = _check_table(table, model)
    save_t = _check_save_times(save_times_h, protocol)
    n, nt = table.shape[0], save_t.shape[0]
    if chunk_size is None:
        workers = len(client.scheduler_info()["workers"]) if client is not None else 0
        chunk_size = min(DEFAULT_CHUNK_SIZE, max(1, -(-n // (4 * workers)))) if workers else \
            DEFAULT_CHUNK_SIZE
    if chunk_size < 1:
        raise ValidationError(f"chunk_size must be >= 1, got {chunk_size}.")
    states = np.full((n, nt, len(model.states)), np.nan)
    obs = np.full((n, nt, len(model.observables)), np.nan)
    status = np.full(n, CHUNK_FAILED, dtype=np.int64)
    failures: list[ChunkFailure] = []
    done = 0

    def store(task: ChunkTask, out: tuple[np.ndarray, ...] | BaseException) -> None:
        nonlocal done
        stop = task.start + task.params.shape[0]
        if isinstance(out, BaseException):
            failures.append(ChunkFailure(task.start, stop, _reason(out)))
        else:
            states[task.start:stop], status[task.start:stop], obs[task.start:stop] = out
        done += stop - task.start
        if progress is not None:
            progress(done, n)

    tasks = list(_tasks(protocol, table, save_t, options or SolverOptions(), model, chunk_size))
    for task, out in _completed(run_chunk, tasks, client):
        store(task, out)
    failures.sort(key=lambda f: f.start)
    return SweepResult(model, protocol.name, save_t, states, obs, status, table,
                       tuple(failures))


@dataclass(frozen=True)
class EngineTask:
    """One chunk of a :class:`DaskEngine` call: plain arrays only."""

    start: int
    structure_key: str
    timeline: Timeline  # the compiled protocol (event times, inputs, state jumps)
    params: np.ndarray  # (patients in chunk, parameters)
    y0: np.ndarray | None  # (patients in chunk, states), None = burn in on the worker
    save_t: np.ndarray  # h
    options: dict[str, Any]  # SolverOptions fields


def run_engine_task(task: EngineTask) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~moodtwin.simulation.run_engine` on one chunk. Runs on a worker."""
    return run_engine(_worker_model(task.structure_key), task.params, task.timeline,
                      task.save_t, SolverOptions(**task.options), y0=task.y0)


class DaskEngine:
    """Drop-in for :func:`moodtwin.simulation.run_engine` that spreads the patients of each call
    over a Dask cluster in chunks of ``chunk_size`` (default: 4 chunks per worker, at most
    ``DEFAULT_CHUNK_SIZE``). Same numbers as in-process: every patient is integrated alone.
    A chunk whose task fails gives its patients status ``CHUNK_FAILED`` (NaN outputs); the
    other chunks are kept. Pass it as ``engine=`` to :func:`moodtwin.trials.run_trial`.
    """

    def __init__(self, client: Any, chunk_size: int | None = None) -> None:
        if chunk_size is not None and chunk_size < 1:
            raise ValidationError(f"chunk_size must be >= 1, got {chunk_size}.")
        self.client = client
        self.chunk_size = chunk_size
        self.failures: list[ChunkFailure] = []  # every failed chunk of every call

    def __call__(self, model: Model, params: np.ndarray, timeline: Timeline,
                 save_t: np.ndarray, options: SolverOptions, y0: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n, nt = params.shape[0], save_t.shape[0]
        size = self.chunk_size or min(DEFAULT_CHUNK_SIZE, max(
            1, -(-n // (4 * max(1, len(self.client.scheduler_info()["workers"]))))))
        opts = dataclasses.asdict(options)
        tasks = [EngineTask(i, model.structure_key, timeline, params[i:i + size],
                            None if y0 is None else y0[i:i + size], save_t, opts)
                 for i in range(0, n, size)]
        states = np.full((n, nt, len(model.states)), np.nan)
        obs = np.full((n, nt, len(model.observables)), np.nan)
        status = np.full(n, CHUNK_FAILED, dtype=np.int64)
        for t, out in _completed(run_engine_task, tasks, self.client):
            stop = t.start + t.params.shape[0]
            if isinstance(out, BaseException):
                self.failures.append(ChunkFailure(t.start, stop, _reason(out)))
            else:
                states[t.start:stop], status[t.start:stop], obs[t.start:stop] = out
        return states, status, obs


def local_cluster(n_workers: int) -> Any:
    """A ``dask.distributed.Client`` on a new local cluster of ``n_workers`` processes.

    One thread per worker; the numba kernel inside each worker uses its share of the cores.
    Workers inherit this process's environment (``MOODTWIN_CACHE`` included). Close the
    client and its cluster with ``client.close(); client.cluster.close()``.
    """
    import logging
    import os

    require("dask")
    from distributed import Client, LocalCluster

    if n_workers < 1:
        raise ValidationError(f"Number of workers must be >= 1, got {n_workers}.")
    env = {"NUMBA_NUM_THREADS": str(threads_per_worker(n_workers))}
    if os.environ.get("MOODTWIN_CACHE"):
        env["MOODTWIN_CACHE"] = os.environ["MOODTWIN_CACHE"]
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, env=env, silence_logs=logging.ERROR)
    return Client(cluster)


__all__ = [
    "CHUNK_FAILED", "ChunkFailure", "ChunkTask", "DaskEngine", "EngineTask", "SweepResult",
    "local_cluster", "run_chunk", "run_engine_task", "run_sweep",
]
