"""Reading input text files as UTF-8 with one-line errors naming the file (never a traceback)."""

from __future__ import annotations

from pathlib import Path

from moodtwin.errors import ValidationError

#: The largest input text file read (bytes): far above any real record or protocol.
MAX_BYTES = 64 * 2**20


def decode(data: bytes, where: str) -> str:
    """``data`` as text: UTF-8 (a byte-order mark is allowed), else a one-line error whose
    message starts with ``where`` (the file) unless it is empty."""
    where = f"{where}: " if where else ""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError(f"{where}the file is UTF-16 text; save it as UTF-8 (in Excel: "
                              "'CSV UTF-8'; in an editor: encoding UTF-8).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(
            f"{where}not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save the "
            "file as UTF-8."
        ) from None
    if "\x00" in text:
        raise ValidationError(f"{where}contains NUL bytes; not a text file.")
    return text


def read_text(path: str | Path, what: str) -> str:
    """The text of ``path`` (UTF-8); ``what`` names the file kind in errors ("trial file")."""
    path = Path(path)
    return decode(read_bytes(path, f"Cannot read {what} {str(path)!r}"), str(path))


def read_bytes(path: Path, where: str) -> bytes:
    """The bytes of ``path`` (at most :data:`MAX_BYTES`); errors start with ``where``."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValidationError(f"{where}: {size / 2**20:.0f} MiB is too large (at most "
                                  f"{MAX_BYTES // 2**20} MiB).")
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"{where}: {exc.strerror or exc}.") from None
