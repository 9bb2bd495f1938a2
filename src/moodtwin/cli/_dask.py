"""Dask options shared by the commands that run many patients (``--scheduler``/``--workers``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from moodtwin.cli._app import say
from moodtwin.errors import ValidationError
from moodtwin.extras import require

if TYPE_CHECKING:
    from moodtwin.simulation import Engine

SchedulerOption = Annotated[str | None, typer.Option(
    "--scheduler", help="Run the patients on an existing Dask cluster, e.g. "
                        "tcp://scheduler:8786 (same numbers as in-process).",
    show_default=False)]
WorkersOption = Annotated[int | None, typer.Option(
    "--workers", help="Run the patients on a new local Dask cluster of N processes.",
    min=1, show_default=False)]


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A Dask client for ``--scheduler ADDRESS`` or ``--workers N`` (else None, in-process)."""
    if scheduler and workers:
        raise ValidationError("Give either --scheduler (an existing cluster) or --workers (a "
                              "new local cluster), not both.")
    if not scheduler and not workers:
        yield None
        return
    require("dask")
    from distributed import Client

    from moodtwin.sweep import local_cluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="15s")
        except ValueError as exc:  # malformed address; unreachable ones raise OSError
            raise ValidationError(f"--scheduler {scheduler!r}: {exc}.") from None
    else:
        say(f"starting a local Dask cluster of {workers} worker processes ...")
        client = local_cluster(int(workers or 1))
    try:
        n = len(client.scheduler_info()["workers"])
        if n == 0:
            raise ValidationError(f"The Dask scheduler at {scheduler} has no workers; start "
                                  f"some with 'dask worker {scheduler}'.")
        dashboard = f"; dashboard {client.dashboard_link}" if scheduler else ""
        say(f"Dask: {n} workers{dashboard}")
        yield client
    finally:
        cluster = client.cluster if not scheduler else None
        client.close()
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def dask_engine(scheduler: str | None, workers: int | None) -> Iterator[Engine | None]:
    """A :class:`~moodtwin.sweep.DaskEngine` on the cluster that ``--scheduler``/``--workers``
    name, else None (the in-process engine)."""
    with dask_client(scheduler, workers) as client:
        if client is None:
            yield None
        else:
            from moodtwin.sweep import DaskEngine

            yield DaskEngine(client)
