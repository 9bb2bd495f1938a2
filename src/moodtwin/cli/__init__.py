"""Command-line interface ``moodtwin`` (also ``python -m moodtwin``).

Each command lives in a small module that registers itself on the shared Typer ``app``;
expected failures print one ``error: <message>`` line with exit code 2, never a traceback.

Research software, not medical advice.
"""

from __future__ import annotations

import sys

import moodtwin.cli._optimize  # noqa: F401  (registers optimize)
import moodtwin.cli._person  # noqa: F401  (registers fit, forecast)
import moodtwin.cli._sensitivity  # noqa: F401  (registers sensitivity)
import moodtwin.cli._serve  # noqa: F401  (registers serve)
from moodtwin.cli import (
    _core,  # noqa: F401  (registers demo, simulate, model)
    _sbml,  # noqa: F401  (registers export-sbml)
    _trial,  # noqa: F401  (registers trial, calibrate, validate)
)
from moodtwin.cli._app import DISCLAIMER, EXIT_ERROR, app

__all__ = ["DISCLAIMER", "EXIT_ERROR", "app", "main"]


def main() -> None:
    """Console-script entry point (``moodtwin``)."""
    app(prog_name="moodtwin")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
