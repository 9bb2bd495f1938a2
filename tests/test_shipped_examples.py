"""Every shipped example file runs (small sizes): the optimize search spaces, the personal
twin's candidate protocols and the script that writes the synthetic person."""

from __future__ import annotations

import filecmp
import runpy
from pathlib import Path

import pytest
from typer.testing import CliRunner

import moodtwin
from moodtwin.catalogue import shipped_protocol
from moodtwin.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SPACES = sorted((EXAMPLES / "optimize").glob("*.yaml"))
CANDIDATES = sorted((EXAMPLES / "person" / "candidates").glob("*.yaml"))
#: the base protocol and horizon each space's own header names
BASE = {"botulinum_space": ("botulinum_glabellar", "6 week"),
        "ketamine_space": ("ketamine_repeated_iv", "12 week"),
        "vns_space": ("vns_standard", "26 week"),
        "vns_biomarker_titration": ("vns_standard", "12 week")}


def test_every_space_has_its_base_protocol() -> None:
    assert SPACES and {p.stem for p in SPACES} == set(BASE)
    for space in SPACES:
        stem, at = BASE[space.stem]
        assert f"examples/protocols/{stem}.yaml" in space.read_text()
        assert f'--at "{at}"' in space.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("space", SPACES, ids=lambda p: p.stem)
def test_every_optimize_space_runs(space: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, [
        "optimize", str(shipped_protocol(BASE[space.stem][0])), "--space", str(space),
        "--draws", "2", "--holdout", "0", "--trials", "2", "--grid", "0",
        "--at", BASE[space.stem][1],
        "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "best_protocol.yaml").is_file()


@pytest.mark.parametrize("path", CANDIDATES, ids=lambda p: p.stem)
def test_every_candidate_protocol_simulates(path: Path) -> None:
    protocol = moodtwin.load_protocol(path)
    r = moodtwin.simulate(protocol, save_times_h=[0.0, 24.0, protocol.duration_h()])
    assert r.failures() == []


@pytest.mark.slow
def test_make_synthetic_rewrites_the_shipped_person_exactly(tmp_path: Path) -> None:
    script = runpy.run_path(str(EXAMPLES / "person" / "make_synthetic.py"))
    script["main"](tmp_path / "person")
    shipped = EXAMPLES / "person" / "synthetic_vns"
    files = sorted(p.relative_to(shipped) for p in shipped.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "person")
                           for p in (tmp_path / "person").rglob("*") if p.is_file())
    for f in files:
        assert filecmp.cmp(shipped / f, tmp_path / "person" / f, shallow=False), f
