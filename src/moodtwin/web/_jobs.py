"""Run jobs in a pool of worker processes (``concurrent.futures``), never in the web worker.

Cancelling a queued job removes it from the pool's queue; a running job is asked to stop and
stops at its next progress report (trials: after each simulated group; fits: after each fifth
of the steps; a simulation finishes its single solve first).
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from moodtwin.web._store import FINAL, Store
from moodtwin.web._tasks import execute, warm_up


class Runner:
    """Submits jobs of ``store`` to ``workers`` processes (started on first use)."""

    def __init__(self, store: Store, workers: int = 1) -> None:
        self.store, self.workers = store, workers
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()
        self._closing = False

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fresh interpreter per worker, no copy of the server's threads
            self._pool = ProcessPoolExecutor(self.workers,
                                             mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def warm(self) -> None:
        """Start the workers now and load the model in them (first job starts faster)."""
        for _ in range(self.workers):
            self._executor().submit(warm_up)

    def submit(self, job_id: str) -> None:
        with self._lock:
            fut = self._executor().submit(execute, str(self.store.root), job_id)
            self._futures[job_id] = fut
        fut.add_done_callback(lambda f, j=job_id: self._done(j, f))

    def _done(self, job_id: str, fut: Future[None]) -> None:
        with self._lock:
            self._futures.pop(job_id, None)
        if self._closing:  # left queued/running: marked 'interrupted' at the next start
            return
        if fut.cancelled():
            self.store.finish(job_id, "cancelled", message="cancelled before it started")
            return
        exc = fut.exception()
        if exc is not None:  # the worker process died (e.g. killed, out of memory)
            self.store.finish(job_id, "failed", message="failed",
                              error=f"the worker process stopped: {type(exc).__name__}: {exc}")

    def cancel(self, job_id: str) -> dict[str, object] | None:
        job = self.store.get(job_id)
        if job is None or job["status"] in FINAL:
            return job
        if self.store.cancel_if_queued(job_id):
            with self._lock:
                fut = self._futures.get(job_id)
            if fut is not None:
                fut.cancel()  # may fail if already handed to a worker, which then skips it
        else:
            self.store.request_cancel(job_id)  # running: stops at its next progress report
        return self.store.get(job_id)

    def shutdown(self) -> None:
        """Stop at once: running jobs are cut off (marked 'interrupted' at the next start)."""
        self._closing = True
        if self._pool is not None:
            procs = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                p.terminate()
            for p in procs:
                p.join(5)
            self._pool = None


def copy_tree(src: Path, dst: Path) -> None:
    """Copy the files below ``src`` into ``dst`` (job inputs for a re-run)."""
    import shutil

    shutil.copytree(src, dst, dirs_exist_ok=True)
