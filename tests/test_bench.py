"""The peer benchmark's code path, tiny: JSON rows, their schema, agreement between engines.

Not a timing test (timings are checked by running ``python benchmarks/bench_peers.py``,
see README). The harness lives in ``benchmarks/``, outside the installed package.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_peers import app  # noqa: E402
from peers import population, prepare, scipy_patient  # noqa: E402

KEYS = {"engine", "patients", "measured_patients", "patient_years_per_s", "moodtwin_speedup",
        "warmup_s", "peak_rss_mib", "max_deviation", "failures", "load_average_before",
        "cpus", "date"}


def test_bench_writes_rows_with_small_deviations(tmp_path) -> None:
    out = tmp_path / "bench.json"
    res = CliRunner().invoke(app, ["--sizes", "1,3", "--peer-patients", "2",
                                   "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "not medical advice" in res.output and "parallel efficiency" in res.output
    rows = json.loads(out.read_text())
    assert [(r["engine"], r["patients"], r["measured_patients"]) for r in rows] == [
        ("moodtwin", 1, 1), ("scipy", 1, 1), ("roadrunner", 1, 1),
        ("moodtwin", 3, 3), ("scipy", 3, 2), ("roadrunner", 3, 2)]
    for r in rows:
        assert KEYS <= r.keys()
        assert r["failures"] == 0 and r["patient_years_per_s"] > 0
        # same tolerances (rtol 1e-6) in every engine: agreement well within 1e-3 of range
        assert 0 <= r["max_deviation"] < 1e-3
    mood = {r["patients"]: r for r in rows if r["engine"] == "moodtwin"}
    for r in rows:
        ratio = mood[r["patients"]]["patient_years_per_s"] / r["patient_years_per_s"]
        assert np.isclose(r["moodtwin_speedup"], ratio)


def test_population_prefix_is_the_smaller_population() -> None:
    big, small = population(50, 3), population(7, 3)
    for name, values in small.items():
        assert np.array_equal(big[name][:7], values)


def test_scipy_peer_reports_failure_as_none(model) -> None:
    s = prepare(1)
    bad = s.table[0].copy()
    bad[model.parameter_index["tau_dep"]] = np.nan  # poisons the right-hand side
    assert scipy_patient(model, bad, s.timeline, s.y0[0], s.save_t, 1e-6,
                         s.options.atol_vector(model), "BDF") is None


def test_bad_sizes_are_one_line_errors() -> None:
    res = CliRunner().invoke(app, ["--sizes", "1,x"])
    assert res.exit_code == 2 and res.output.strip().startswith("error: --sizes")
