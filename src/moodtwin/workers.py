"""Worker processes and the numba kernel's threads: one rule for sharing the cores.

The integration kernel runs its patients in parallel (numba ``prange``) on every core. A
parallel caller - calibration's forked process pools, a Dask cluster - must give each of its
``workers`` only its share of the cores, or every worker starts one thread per core and the
machine runs ``workers x cores`` threads (measured on a 16-core machine: 16 calibration
processes drove the load average to 165, and one generation of 100 evaluations took about
six minutes).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def threads_per_worker(workers: int) -> int:
    """Kernel threads for each of ``workers`` parallel processes: their share of the cores."""
    return max(1, cores() // max(1, workers))


def share_cores(workers: int) -> None:
    """Limit this process's kernel threads to its share of the cores among ``workers``."""
    import numba

    numba.set_num_threads(min(numba.config.NUMBA_NUM_THREADS, threads_per_worker(workers)))


def process_map(fn: Callable[[T], R], items: Sequence[T], workers: int,
                on_done: Callable[[int, R], None] | None = None) -> list[R]:
    """``[fn(x) for x in items]`` over ``workers`` forked processes (in this process when
    ``workers`` is 1 or there is one item), each kernel using its share of the cores.
    ``fn`` must be a module-level function (it is pickled by name); state it needs can be
    set in module globals before the call, as the fork copies them. The calling process
    must not have run the parallel kernel itself: its numba thread pool does not survive a
    fork, and the children hang (calibration evaluates only in its workers).
    ``on_done(k, result)`` is called in this process with the k-th result (in order)."""

    def collect(results: Iterable[R]) -> list[R]:
        out: list[R] = []
        for result in results:
            out.append(result)
            if on_done is not None:
                on_done(len(out), result)
        return out

    if workers > 1 and len(items) > 1:
        with multiprocessing.get_context("fork").Pool(
                workers, initializer=share_cores, initargs=(workers,)) as pool:
            return collect(pool.imap(fn, list(items)))
    return collect(map(fn, items))


__all__ = ["cores", "process_map", "share_cores", "threads_per_worker"]
