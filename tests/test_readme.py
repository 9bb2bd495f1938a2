"""The README's first lines stay the commands a new user and CI run."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_starts_with_demo_and_test_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    head = "\n".join(lines[:8])
    assert "pip install -e . && moodtwin demo" in head
    assert 'pip install -e ".[test]"' in head and "pytest" in head
    assert "# 2. set up and run the tests" in (ROOT / ".ci" / "run").read_text()
