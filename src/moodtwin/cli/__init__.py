"""Command-line interface ``moodtwin`` (also ``python -m moodtwin``).

Each command lives in a small module that registers itself on the shared Typer ``app``;
expected failures print one ``error: <message>`` line with exit code 2, never a traceback.

Research software, not medical advice.
"""

from __future__ import annotations

import sys

import typer

import moodtwin.cli._optimize  # noqa: F401  (registers optimize)
import moodtwin.cli._person  # noqa: F401  (registers fit, forecast)
import moodtwin.cli._sensitivity  # noqa: F401  (registers sensitivity)
import moodtwin.cli._serve  # noqa: F401  (registers serve)
from moodtwin.cli import (
    _core,  # noqa: F401  (registers demo, simulate, resilience, model)
    _sbml,  # noqa: F401  (registers export-sbml)
    _trial,  # noqa: F401  (registers trial, calibrate, validate)
)
from moodtwin.cli._app import DISCLAIMER, EXIT_ERROR, app, fail
from moodtwin.extras import COMMAND_EXTRAS

__all__ = ["DISCLAIMER", "EXIT_ERROR", "app", "main"]

for _command in app.registered_commands:
    _name = _command.name or _command.callback.__name__.replace("_", "-")
    if _name in COMMAND_EXTRAS:
        # the backslash keeps Rich, which draws the help, from taking [extra] as markup
        _command.help = (f"{_command.help} Needs: pip install "
                         f"'moodtwin\\[{COMMAND_EXTRAS[_name]}]'.")


#: Click's usage error (unknown command or option, missing or invalid value); typer >= 0.2x
#: vendors click, so it is found through the public ``typer.BadParameter``.
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__
                                     if c.__name__ == "UsageError")


def _given(param: object, argv: list[str]) -> str | None:
    """The raw value the user gave for ``param`` on the command line, if it can be found."""
    names = getattr(param, "opts", []) + getattr(param, "secondary_opts", [])
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg[len(name) + 1:]
    return None


def main() -> None:
    """Console-script entry point (``moodtwin``): a usage error (unknown option, a value out of
    its range or of the wrong type) is one ``error:`` line naming the option, the value given
    and what is allowed, exit code 2."""
    try:
        code = app(prog_name="moodtwin", standalone_mode=False)
    except _USAGE_ERROR as exc:
        message = exc.format_message().strip().rstrip(".")  # type: ignore[attr-defined]
        if not message:  # no arguments at all: click has printed the help
            sys.exit(EXIT_ERROR)
        given = _given(getattr(exc, "param", None), sys.argv[1:])
        if given is not None:
            message += f" (given: {given!r})"
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "moodtwin"
        sys.exit(fail(f"{message}; see '{command} --help'.").exit_code)
    except typer.Abort:
        print("error: aborted.", file=sys.stderr)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
