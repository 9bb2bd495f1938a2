"""Exception hierarchy: every error names the thing, its value and what is allowed."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MoodtwinError(Exception):
    """Base class of all moodtwin errors; the CLI prints its message and exits non-zero."""


class UnknownNameError(MoodtwinError, KeyError):
    """An unknown therapy, parameter, state, scale or field name, with close matches."""

    def __init__(self, kind: str, name: str, choices: Iterable[str],
                 shown: Iterable[str] | None = None) -> None:
        """``choices``: every accepted name (close matches are drawn from them);
        ``shown``: the names the message lists (default: the first 40 choices)."""
        choices = list(choices)
        close = difflib.get_close_matches(str(name), choices, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        shown = ", ".join(sorted(choices)[:40] if shown is None else shown)
        super().__init__(f"Unknown {kind} {name!r}.{hint} Known: {shown}")
        self.kind, self.name, self.close_matches = kind, name, close

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class ValidationError(MoodtwinError, ValueError):
    """An input value outside its allowed range, of the wrong unit, or malformed."""


class ProtocolError(ValidationError):
    """A therapy protocol that cannot be delivered (overlaps, limits, bad schedule)."""


class IntegrationError(MoodtwinError, RuntimeError):
    """The ODE solver failed for a patient; the message says why and what to change."""


class MissingExtraError(MoodtwinError, ImportError):
    """A feature needs an optional dependency that is not installed (``moodtwin[extra]``)."""


class RecordError(ValidationError):
    """A person record that cannot be used; ``report`` lists every problem found (one each)."""

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report
