"""Job records in an embedded SQLite database, one folder per job for inputs and results.

A job moves ``queued -> running -> done | failed | cancelled``; a job found ``queued`` or
``running`` when the server starts was cut off by a restart and becomes ``interrupted``.
Worker processes open the same database to report progress and their final state.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

FINAL = ("done", "failed", "cancelled", "interrupted")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, created REAL NOT NULL,
  started REAL, finished REAL, progress REAL NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '',
  error TEXT, settings TEXT NOT NULL, result TEXT, cancel INTEGER NOT NULL DEFAULT 0,
  parent TEXT
)"""


class Store:
    """Job table at ``root/jobs.sqlite`` and job folders ``root/jobs/<id>/``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        (self.root / "jobs").mkdir(parents=True, exist_ok=True)
        self.db = self.root / "jobs.sqlite"
        with closing(self._connect()) as con, con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.db, timeout=30)
        con.row_factory = sqlite3.Row
        return con

    def folder(self, job_id: str) -> Path:
        return self.root / "jobs" / job_id

    def create(self, kind: str, settings: dict[str, Any], parent: str | None = None) -> str:
        job_id = uuid.uuid4().hex[:16]
        (self.folder(job_id) / "inputs").mkdir(parents=True)
        (self.folder(job_id) / "outputs").mkdir()
        with closing(self._connect()) as con, con:
            con.execute("INSERT INTO jobs (id, kind, status, created, settings, parent) "
                        "VALUES (?, ?, 'queued', ?, ?, ?)",
                        (job_id, kind, time.time(), json.dumps(settings), parent))
        return job_id

    def get(self, job_id: str) -> dict[str, Any] | None:
        with closing(self._connect()) as con:
            row = con.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _as_dict(row) if row is not None else None

    def list(self, limit: int = 100, kind: str | None = None) -> list[dict[str, Any]]:
        with closing(self._connect()) as con:
            if kind is None:
                rows = con.execute("SELECT * FROM jobs ORDER BY created DESC LIMIT ?",
                                   (limit,)).fetchall()
            else:
                rows = con.execute("SELECT * FROM jobs WHERE kind = ? ORDER BY created DESC "
                                   "LIMIT ?", (kind, limit)).fetchall()
        return [_as_dict(r) for r in rows]

    def update(self, job_id: str, **fields: Any) -> None:
        if "result" in fields and fields["result"] is not None:
            fields["result"] = json.dumps(fields["result"])
        cols = ", ".join(f"{k} = ?" for k in fields)
        with closing(self._connect()) as con, con:
            con.execute(f"UPDATE jobs SET {cols} WHERE id = ?",  # noqa: S608 (fixed names)
                        (*fields.values(), job_id))

    def finish(self, job_id: str, status: str, **fields: Any) -> None:
        """Set a final state unless the job already has one."""
        job = self.get(job_id)
        if job is not None and job["status"] not in FINAL:
            self.update(job_id, status=status, finished=time.time(), **fields)

    def claim(self, job_id: str) -> bool:
        """queued -> running, atomically; False if the job is no longer queued."""
        with closing(self._connect()) as con, con:
            cur = con.execute("UPDATE jobs SET status = 'running', started = ?, message = "
                              "'starting' WHERE id = ? AND status = 'queued'",
                              (time.time(), job_id))
            return cur.rowcount == 1

    def cancel_if_queued(self, job_id: str) -> bool:
        """queued -> cancelled, atomically; False if it already started or ended."""
        with closing(self._connect()) as con, con:
            cur = con.execute("UPDATE jobs SET status = 'cancelled', finished = ?, cancel = 1, "
                              "message = 'cancelled before it started' WHERE id = ? AND "
                              "status = 'queued'", (time.time(), job_id))
            return cur.rowcount == 1

    def request_cancel(self, job_id: str) -> None:
        self.update(job_id, cancel=1)

    def cancel_requested(self, job_id: str) -> bool:
        with closing(self._connect()) as con:
            row = con.execute("SELECT cancel FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row["cancel"])

    def mark_interrupted(self) -> int:
        """Jobs left queued or running by a previous server process; returns how many."""
        with closing(self._connect()) as con, con:
            cur = con.execute(
                "UPDATE jobs SET status = 'interrupted', finished = ?, error = "
                "'interrupted: the server stopped before this job finished; re-run it.' "
                "WHERE status IN ('queued', 'running')", (time.time(),))
            return cur.rowcount


def _as_dict(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d["settings"] = json.loads(d["settings"])
    d["result"] = json.loads(d["result"]) if d["result"] else None
    d["cancel"] = bool(d["cancel"])
    return d
