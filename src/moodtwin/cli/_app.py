"""The Typer application and the error handling shared by every command module.

Expected failures (:class:`~moodtwin.errors.MoodtwinError`, missing files) are reported as a
single ``error: <message>`` line on stderr with exit code 2, never as a traceback.

Research software, not medical advice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from moodtwin import DISCLAIMER
from moodtwin.errors import MoodtwinError
from moodtwin.extras import extra_of, require

EXIT_ERROR = 2

app = typer.Typer(
    name="moodtwin",
    help="moodtwin: a mechanistic digital twin of the vagus-nerve - brain - mood system and "
         "four therapies (implanted VNS, taVNS, ketamine/esketamine, glabellar botulinum "
         "toxin). " + DISCLAIMER,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])

ParamsOption = Annotated[Path | None, typer.Option(
    "--params", help="Parameter set (YAML from 'moodtwin calibrate'). Default: the calibrated "
                     "set shipped with moodtwin, as in the Python API.", dir_okay=False,
    show_default=False)]
"""The ``--params`` option of every command that simulates (one default: the calibrated set)."""

ParamOverridesOption = Annotated[list[str] | None, typer.Option(
    "--param", "-p", metavar="NAME=VALUE",
    help="Override a model parameter (repeatable), as in 'moodtwin simulate'.",
    show_default=False)]
"""The ``--param NAME=VALUE`` overrides of commands other than ``simulate`` (which explains them
in full)."""


def say(msg: str) -> None:
    """Progress and notes go to stderr so stdout stays clean for tables and Markdown."""
    typer.echo(msg, err=True)


def fail(message: object) -> typer.Exit:
    typer.echo("error: " + " ".join(str(message).split()), err=True)
    return typer.Exit(EXIT_ERROR)


def errors_as_one_line(fn: F) -> F:
    """Turn expected errors into one ``error: ...`` line and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (MoodtwinError, FileNotFoundError) as exc:
            raise fail(exc) from None
        except ModuleNotFoundError as exc:  # an optional dependency imported directly
            extra = extra_of(exc.name or "")
            if extra is None:
                raise
            try:
                require(extra)
            except MoodtwinError as missing:
                raise fail(missing) from None
            raise
        except OSError as exc:  # e.g. output folder not writable
            where = f" {exc.filename!r}" if exc.filename else ""
            raise fail(f"{exc.strerror or exc}{where}.") from None

    return wrapper  # type: ignore[return-value]
