"""Peer benchmark: moodtwin vs SciPy solve_ivp vs libRoadRunner, a developer harness.

    python benchmarks/bench_peers.py --json bench.json          # 1, 100, 10,000 patients
    python benchmarks/bench_peers.py --sizes 1,100 --peer-patients 10

Times the same populations (default 1, 100 and 10,000 patients; 52 weeks; weekly events) with
moodtwin's batched engine, SciPy solve_ivp and libRoadRunner on the SBML export, in this
process, and prints patient-years per second, moodtwin's speed-up over each peer, warm-up
time, peak memory, the largest deviation between engines and how far moodtwin is from the
machine's limit. Peers integrate at most --peer-patients patients one by one and are
extrapolated linearly (column 'measured'). Needs ``pip install -e ".[test]"`` (SBML, SciPy and
psutil, which comes with the Dask extra). Not part of the installed package.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import rows_json, run_benchmark, table_text  # noqa: E402

from moodtwin import DISCLAIMER  # noqa: E402
from moodtwin.cli._app import errors_as_one_line, say  # noqa: E402
from moodtwin.errors import ValidationError  # noqa: E402

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
@errors_as_one_line
def bench(
    sizes: Annotated[str, typer.Option(
        help="Population sizes, comma-separated.")] = "1,100,10000",
    peer_patients: Annotated[int, typer.Option(
        help="Patients the SciPy and libRoadRunner peers integrate per population.",
        min=1)] = 100,
    protocol: Annotated[Path | None, typer.Option(
        "--protocol", help="Protocol file (YAML). Default: implanted VNS titrated every two "
                           "weeks with weekly visits, 52 weeks.", dir_okay=False,
        show_default=False)] = None,
    rtol: Annotated[float, typer.Option(help="Relative tolerance of every engine.")] = 1e-6,
    scipy_method: Annotated[str, typer.Option(
        help="solve_ivp method: LSODA or BDF.")] = "LSODA",
    seed: Annotated[int, typer.Option(help="Seed of the population.")] = 1,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Also write the rows (engine, patients, patient_years_per_s, ...) as "
                       "a JSON list to this file.", dir_okay=False, show_default=False)] = None,
) -> None:
    """Time moodtwin's batched engine against SciPy and libRoadRunner."""
    from moodtwin.protocols import load_protocol

    try:
        size_list = tuple(int(x) for x in sizes.split(","))
    except ValueError:
        raise ValidationError(f"--sizes {sizes!r}: expected comma-separated whole numbers, "
                              "e.g. 1,100,10000.") from None
    if not size_list or min(size_list) < 1:
        raise ValidationError(f"--sizes {sizes!r}: sizes must be at least 1.")
    if scipy_method not in ("LSODA", "BDF"):
        raise ValidationError(f"--scipy-method {scipy_method!r}: use LSODA or BDF.")
    spec = load_protocol(protocol) if protocol is not None else None
    typer.echo(DISCLAIMER)
    load_before = os.getloadavg()[0]
    rows, limit = run_benchmark(size_list, peer_patients, spec, seed, rtol, scipy_method,
                                progress=say)
    typer.echo(table_text(rows, limit))
    typer.echo(f"1-minute load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
               f"({os.cpu_count()} CPUs): other jobs on the machine slow moodtwin's threads.")
    if json_out is not None:
        meta = {"protocol": str(protocol or "default (VNS titration, weekly visits)"),
                "rtol": rtol, "scipy_method": scipy_method, "seed": seed,
                "machine": platform.node(), "processor": platform.processor() or
                platform.machine(), "cpus": os.cpu_count(),
                "load_average_before": load_before, "load_average_after": os.getloadavg()[0],
                "date": datetime.now(UTC).isoformat(timespec="seconds")}
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(rows_json(rows, limit, meta), indent=1))
        typer.echo(f"JSON rows written to {json_out.resolve()}")


if __name__ == "__main__":
    app(prog_name="bench_peers.py")
