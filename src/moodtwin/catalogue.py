"""The packaged catalogues: protocols and calibration trials shipped with moodtwin.

One location for each (``moodtwin/data/protocols`` and ``moodtwin/data/trials``), so every
command works after ``pip install`` from any directory; in a checkout ``examples/protocols``
and ``examples/trials`` are links to them. Trials name their protocols relative to
themselves (``../protocols/...``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from moodtwin.errors import ValidationError


def _data(name: str) -> Path:
    return Path(str(resources.files("moodtwin").joinpath("data", name)))


def protocol_catalogue() -> Path:
    """Folder of the packaged protocol files (YAML)."""
    return _data("protocols")


def trial_catalogue() -> Path:
    """Folder of the packaged calibration/validation trial files (YAML)."""
    return _data("trials")


def shipped_protocol(stem: str) -> Path:
    """The packaged protocol file ``<stem>.yaml``."""
    return protocol_catalogue() / f"{stem}.yaml"


def find_shipped(path: str | Path, folder: Path, what: str) -> Path:
    """``path`` itself if it exists; otherwise the catalogue file it names in ``folder`` (or
    its ``designs/``), with or without ``.yaml``, e.g. ``ketamine_murrough2013`` after ``pip
    install`` from any directory. A relative name found in neither is refused in one line
    that lists the catalogue's names."""
    path = Path(path)
    if path.exists() or path.is_absolute():
        return path
    found = catalogue_file(path, folder)
    if found is not None:
        return found
    more = "; more under designs/" if (folder / "designs").is_dir() else ""
    raise ValidationError(f"Cannot read {what} '{path}': no such file here, nor in the "
                          f"catalogue ({catalogue_names(folder)}{more}).")


def catalogue_file(name: str | Path, folder: Path) -> Path | None:
    """The catalogue file ``name`` names in ``folder`` (or its ``designs/``), with or without
    ``.yaml``; None if there is none (or ``name`` is absolute)."""
    if Path(name).is_absolute():
        return None
    for base in (folder, folder / "designs"):
        for candidate in (base / name, base / f"{name}.yaml"):
            if candidate.is_file():
                return candidate
    return None


def catalogue_names(folder: Path) -> str:
    """The names of the catalogue files in ``folder``, comma-separated."""
    return ", ".join(sorted(p.stem for p in folder.glob("*.yaml")))
