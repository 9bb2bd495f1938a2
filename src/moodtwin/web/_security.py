"""Local-server safety: access token, Host/Origin checks, upload limits, safe file names.

- A random token (printed at start, as Jupyter does) is needed for every request that starts
  work, writes, or reads a job (results can be a person's health data): header
  ``Authorization: Bearer <token>`` or, for plain download links, ``?token=<token>``.
- The Host header must name the server itself (defeats DNS rebinding); a browser Origin, when
  sent, must be the server's own.
- Uploads larger than the limit are refused before they are read; zip archives are unpacked
  only below the job's folder (no absolute paths, no '..', no links, bounded size and count).
"""

from __future__ import annotations

import re
import secrets
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from moodtwin.errors import ValidationError


@dataclass(frozen=True)
class Limits:
    """Upload and job-size limits (a request above one gets a message naming it)."""

    upload_bytes: int = 20 * 1024 * 1024
    zip_bytes: int = 100 * 1024 * 1024
    zip_entries: int = 2000
    yaml_chars: int = 200_000
    trial_patients: int = 20_000  # n x replicates
    trial_replicates: int = 100
    validate_replicates: int = 50
    fit_steps: int = 5000
    fit_walkers: int = 256
    forecast_draws: int = 2000
    forecast_candidates: int = 8
    sensitivity_runs: int = 20_000
    optimize_simulations: int = 50_000


def size_text(n: int) -> str:
    """Bytes as text: '195 kB', '20 MB'."""
    return f"{n / 2**20:.3g} MB" if n >= 2**20 else f"{n / 1024:.3g} kB"


def new_token() -> str:
    return secrets.token_hex(24)


def host_allowed(host_header: str | None, allowed: set[str]) -> bool:
    """Whether the Host header (``name[:port]``) names one of ``allowed``."""
    if not host_header:
        return False
    host = urlsplit(f"//{host_header}").hostname or ""
    return host.lower() in allowed


def origin_allowed(origin: str | None, host_header: str | None, allowed: set[str]) -> bool:
    """A missing Origin is fine (non-browser clients); a present one must be this server."""
    if origin is None:
        return True
    parts = urlsplit(origin)
    return (parts.hostname or "").lower() in allowed and parts.netloc == host_header


_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


def safe_name(name: str | None, field: str) -> str:
    """A plain file name (no folders, no leading dot); anything else is refused."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    if not _SAFE_NAME.match(base) or base in (".", ".."):
        raise ValidationError(f"{field}: file name {name!r} is not allowed; use letters, digits, "
                              "'.', '_' or '-' (no folders).")
    return base


def extract_zip(data: bytes, dest: Path, limits: Limits, field: str) -> list[Path]:
    """Unpack a zip below ``dest``; a single top folder is stripped. Returns the files."""
    import io

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValidationError(f"{field}: not a valid zip archive.") from None
    infos = [i for i in zf.infolist() if not i.is_dir()
             and not i.filename.startswith("__MACOSX/")
             and not PurePosixPath(i.filename).name.startswith(".")]
    if len(infos) > limits.zip_entries:
        raise ValidationError(f"{field}: {len(infos)} files in the archive; at most "
                              f"{limits.zip_entries} allowed.")
    total = sum(i.file_size for i in infos)
    if total > limits.zip_bytes:
        raise ValidationError(f"{field}: the archive unpacks to {size_text(total)}; at most "
                              f"{size_text(limits.zip_bytes)} allowed.")
    parts = []
    for i in infos:
        p = PurePosixPath(i.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", i.filename):
            raise ValidationError(f"{field}: archive entry {i.filename!r} points outside its "
                                  "folder; refused.")
        if stat.S_ISLNK(i.external_attr >> 16):
            raise ValidationError(f"{field}: archive entry {i.filename!r} is a link; refused.")
        parts.append(p.parts)
    tops = {q[0] for q in parts if len(q) > 1}
    strip = 1 if len(tops) == 1 and all(len(q) > 1 for q in parts) else 0
    root = dest.resolve()
    out = []
    for i, q in zip(infos, parts, strict=True):
        rel = q[strip:]
        for part in rel:
            safe_name(part, field)
        target = (dest.joinpath(*rel)).resolve()
        if not target.is_relative_to(root):  # belt and braces
            raise ValidationError(f"{field}: archive entry {i.filename!r} points outside its "
                                  "folder; refused.")
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(i) as src:
            chunk = src.read(limits.zip_bytes + 1)
        if len(chunk) > i.file_size:  # a lying header: refuse rather than fill the disk
            raise ValidationError(f"{field}: archive entry {i.filename!r} is larger than "
                                  "its header says; refused.")
        target.write_bytes(chunk)
        out.append(target)
    return out
