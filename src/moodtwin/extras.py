"""Optional dependencies: one clear error when an extra is not installed."""

from __future__ import annotations

import importlib
from types import ModuleType

from moodtwin.errors import MoodtwinError


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise a one-line error naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MoodtwinError(f"This needs the optional package {module!r}: "
                            f"pip install 'moodtwin[{extra}]'.") from None
