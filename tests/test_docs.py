"""The documentation site builds (strict, offline) and the example notebooks run.

Needs the ``docs`` extra (in ``test``): mkdocs-material, mkdocstrings, nbclient, ipykernel.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples" / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
def test_site_builds_strict(tmp_path: Path) -> None:
    """`mkdocs build --strict`: every page, link, snippet, API object and generated table."""
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f",
                          str(ROOT / "mkdocs.yml"), "-d", str(site)],
                         capture_output=True, text=True, cwd=ROOT,  # snippets: from the root
                         env={**_env(), "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    pages = {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
             for p in site.rglob("*.html")}
    remote = {name for name, html in pages.items()
              if re.search(r'<(?:script|img|iframe|source)[^>]*\ssrc="(?:https?:)?//'
                           r'|<link[^>]*\shref="(?:https?:)?//', html)}
    assert not remote, f"pages load remote (CDN) assets: {sorted(remote)}"
    model = pages["reference/model.html"]
    # the generated model reference: every state equation as MathML, none left as raw LaTeX
    assert model.count("<math") >= 40 and "\\frac" not in model
    protocol = pages["formats/protocol.html"]
    assert "0–3.5 mA" in protocol  # the VNS current limit, from the schema's LIMITS
    api = pages["reference/api.html"]
    assert "moodtwin.simulation.simulate" in api and "moodtwin.person.fit_person" in api


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "") if env.get(
        "PYTHONPATH") else src
    return env


def test_three_notebooks() -> None:
    assert [p.stem for p in NOTEBOOKS] == ["device_team", "researcher", "self_tracker"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    """Execute every cell in the notebook's own folder; any error fails the test."""
    import nbclient
    import nbformat

    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(book, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any(o.get("output_type") == "display_data" for o in outputs)  # its figure


@pytest.mark.slow
def test_quickstart_python_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick start's Python block runs as written (from a folder holding examples/)."""
    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "quickstart.md", "exec"), namespace)  # noqa: S102
    frame = (tmp_path / "ketamine.csv").read_text().splitlines()
    assert "time_h,day,MADRS" in frame[0] and len(frame) > 100
