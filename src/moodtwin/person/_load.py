"""Read a person's record folder, checking every row; bad rows are reported and left out.

Problems never stop the loading of the valid rows: each one becomes an :class:`Issue` naming
the file, the row (1 = first data row) and what is wrong. Only a record without a usable
``person.yaml``, ``treatments.yaml`` or a single valid score, or with a ``labs.csv`` of which
nothing can be used (unreadable, or no valid row), raises
:class:`~moodtwin.errors.ValidationError`: an unreadable file is not an empty one.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from moodtwin import scales
from moodtwin.errors import MoodtwinError, RecordError, ValidationError
from moodtwin.person._hrv import HRV, hrv_from_ecg, hrv_from_rr
from moodtwin.person._schema import (
    ACUTE_ABOVE,
    ANALYTES,
    HR_RANGE_BPM,
    LAB_COLUMNS,
    OPTIONAL_COLUMNS,
    RMSSD_LOG_SD,
    RR_RANGE_MS,
    SCORE_COLUMNS,
    LoadReport,
    PersonRecord,
)
from moodtwin.protocols import load_protocol
from moodtwin.text_files import decode, read_bytes
from moodtwin.units import UREG, quantity
from moodtwin.yaml_files import read_yaml

#: Files of a record folder; any other file is reported as not used.
KNOWN_FILES = ("person.yaml", "person.yml", "person.json", "treatments.yaml", "treatments.yml",
               "treatments.json", "scores.csv", "labs.csv", "heart")


def load_person(folder: str | Path) -> tuple[PersonRecord, LoadReport]:
    """Read and validate the record in ``folder``; returns the record and the issue report."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError(f"Person record {str(folder)!r} is not a folder.")
    report = LoadReport()
    pid, start, weight, genotype = _person(folder)
    protocol = load_protocol(_one_of(folder, "treatments"))
    end_h = protocol.duration_h()
    window = _Window(start, end_h)
    _unknown_files(folder, report)
    scores = _scores(folder / "scores.csv", window, report)
    if scores.empty:
        raise RecordError(f"{folder / 'scores.csv'}: no valid score rows; a fit needs at least "
                          f"one dated scale score ({_first_errors(report, 'scores.csv')}).",
                          report)
    labs = (_labs(folder / "labs.csv", window, report) if (folder / "labs.csv").exists()
            else _empty_bio())
    hrv, rmssd = _heart(folder / "heart", window, report)
    if labs is None:
        raise RecordError(f"{folder / 'labs.csv'}: no lab row can be used "
                          f"({_first_errors(report, 'labs.csv')}); correct the file, or move it "
                          "out of the folder to fit without labs.", report)
    bio = pd.concat([x for x in (labs, rmssd) if x is not None and not x.empty]
                    or [_empty_bio()], ignore_index=True)
    bio = bio.sort_values("time_h", kind="stable").reset_index(drop=True)
    return PersonRecord(pid, start, protocol, scores, bio, hrv, weight, genotype), report


def _first_errors(report: LoadReport, file: str) -> str:
    """The first three errors of ``file``, and how many more, for a one-line refusal."""
    problems = [i.line() for i in report.errors if i.file == file]
    shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more"
                                       if len(problems) > 3 else "")
    return shown or "the file has no rows"


def _unknown_files(folder: Path, report: LoadReport) -> None:
    for path in sorted(folder.iterdir()):
        if path.name not in KNOWN_FILES and not path.name.startswith("."):
            report.add(path.name, None, "not used: not a file of a person record (known: "
                       "person.yaml, treatments.yaml, scores.csv, labs.csv, heart/)", "warning")


# ---------------------------------------------------------------------------- person.yaml
def _one_of(folder: Path, stem: str) -> Path:
    for ext in ("yaml", "yml", "json"):
        if (folder / f"{stem}.{ext}").exists():
            return folder / f"{stem}.{ext}"
    raise ValidationError(f"{folder}: missing {stem}.yaml (see examples/person/README.md).")


#: Accepted spellings of the BDNF Val66Met (rs6265) genotype -> Met carrier (1) or not (0).
GENOTYPES = {"val/val": 0.0, "val/met": 1.0, "met/val": 1.0, "met/met": 1.0}


def _person(folder: Path) -> tuple[str, dt.date, float | None, float | None]:
    path = _one_of(folder, "person")
    data = read_yaml(path, "person file")
    if not isinstance(data, dict):
        raise ValidationError(f"{path}: expected a mapping with 'id' and 'start_date'.")
    extra = sorted(set(data) - {"id", "start_date", "description", "body_weight",
                                "bdnf_val66met"})
    if extra:
        raise ValidationError(f"{path}: unknown field(s) {extra}; allowed: id, start_date, "
                              "description, body_weight, bdnf_val66met.")
    genotype = None
    if data.get("bdnf_val66met") is not None:
        key = str(data["bdnf_val66met"]).strip().lower().replace(" ", "")
        if key not in GENOTYPES:
            raise ValidationError(f"{path}: bdnf_val66met {data['bdnf_val66met']!r} is not a "
                                  "genotype; allowed: Val/Val, Val/Met, Met/Met.")
        genotype = GENOTYPES[key]
    weight = None
    if data.get("body_weight") is not None:
        weight = quantity(data["body_weight"], "kg", f"{path}: body_weight", 35.0, 200.0)
    if "start_date" not in data:
        raise ValidationError(f"{path}: 'start_date' (time 0 of treatments.yaml) is missing.")
    start = _date(data["start_date"])
    if start is None:
        raise ValidationError(f"{path}: start_date {data['start_date']!r} is not a date "
                              "(YYYY-MM-DD).")
    return str(data.get("id", folder.name)), start.date(), weight, genotype


# ---------------------------------------------------------------------------- rows
class _Window:
    """Converts dates to hours since the start date and checks they lie in the history."""

    def __init__(self, start: dt.date, end_h: float):
        self.start = dt.datetime.combine(start, dt.time())
        self.end_h = end_h

    def hours(self, value: Any) -> tuple[float | None, str]:
        when = _date(value)
        if when is None:
            return None, _not_a_date(value)
        h = (when - self.start).total_seconds() / 3600.0
        if h < 0:
            return None, (f"date {value} is before the start date {self.start.date()} "
                          "(time 0 of treatments.yaml)")
        if h > self.end_h:
            return None, (f"date {value} is after the end of the treatment history "
                          f"({self.end_h / 24:g} days after the start date; extend "
                          "'duration' in treatments.yaml)")
        return h, ""


def _date(value: Any) -> dt.datetime | None:
    """A date or date-time; times are local wall-clock times, so a UTC offset
    (``2024-01-08T09:00+02:00``) is dropped and the time as written is used."""
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime.combine(value, dt.time())
    else:
        try:
            when = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    return when.replace(tzinfo=None)


#: Day, month and year with dots (08.01.2024): day first wherever dots are written.
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
#: Two numbers and a year with '/' or '-': month first in the US, day first elsewhere.
_SLASHED = re.compile(r"\d{1,2}[/-]\d{1,2}[/-]\d{2,4}")


def _not_a_date(value: Any) -> str:
    """Why ``value`` is not a date; a day.month.year date gets its ISO spelling."""
    msg = f"date {value!r} is not a date (YYYY-MM-DD or YYYY-MM-DD HH:MM)"
    text = str(value).strip()
    dotted = _DOTTED.fullmatch(text)
    if dotted:
        try:
            iso = dt.date(int(dotted[3]), int(dotted[2]), int(dotted[1])).isoformat()
        except ValueError:
            return msg
        return f"{msg}: day.month.year {text} is written {iso}"
    if _SLASHED.fullmatch(text):
        return f"{msg}: {text} may be month/day or day/month; write YYYY-MM-DD"
    return msg


#: Data rows of a record CSV: (row number from 1, cells by lower-case column name).
_Rows = list[tuple[int, dict[str, str]]]
#: A number written with a decimal comma (16,5).
_COMMA_NUMBER = re.compile(r"[+-]?[0-9]+,[0-9]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DIGITS = re.compile(r"[0-9]+")
#: A number a point may split into thousands (1.500).
_THOUSANDS = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+")


def _read_csv(path: Path, required: tuple[str, ...], number: str,
              report: LoadReport) -> tuple[_Rows, bool] | None:
    """The data rows of a record CSV and whether its numbers (column ``number``) take decimal
    commas: a file separated by ';' or tabs with commas in that column, as spreadsheets write
    them in many countries. ``None`` (reported) when the file cannot be used; rows whose
    fields do not fit the header are reported and left out."""
    name = path.name
    try:
        lines = _text(path).splitlines()
    except ValidationError as exc:
        report.add(name, None, f"{exc} No row of this file is used.")
        return None
    sep = _separator(next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")),
                          ""))
    reader = csv.reader(lines, delimiter=sep or ",", skipinitialspace=True, strict=True)
    table: list[list[str]] = []
    start = 1  # the line the next row starts on
    try:
        for r in reader:  # blank rows and comment lines (# ...) are skipped
            if any(c.strip() for c in r) and not r[0].lstrip().startswith("#"):
                table.append(r)
            start = reader.line_num + 1
    except csv.Error as exc:  # e.g. an unclosed quote, which would swallow the rows after it
        report.add(name, None, f"cannot be read as CSV (the row on line {start}: {exc}); no "
                   "row of this file is used")
        return None
    if not table:
        report.add(name, None, "the file is empty (not even a header)", "warning")
        return [], False
    columns = [c.strip().lower() for c in table[0]]
    while columns and not columns[-1]:
        columns.pop()  # a separator at the end of the header
    for col in columns:
        if col not in required and col not in OPTIONAL_COLUMNS:
            close = difflib.get_close_matches(col, list(required), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            report.add(name, None, f"unknown column {col!r}{hint} is ignored; columns are "
                       f"{', '.join(required)}", "warning")
    missing = [c for c in required if c not in columns]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if missing or twice:
        what = f"missing column(s) {missing}" if missing else f"column(s) {twice} given twice"
        report.add(name, None, f"{what}; no row of this file is used")
        return None
    rows: _Rows = []
    for i, cells in enumerate(table[1:], start=1):
        cells = [c.strip() for c in cells]
        while len(cells) > len(columns) and not cells[-1]:
            cells.pop()  # separators at the end of the row
        problem = _misfit(cells, columns, number, sep == ",")
        if problem:
            report.add(name, i, problem)
        else:
            rows.append((i, dict(zip(columns, cells + [""] * (len(columns) - len(cells)),
                                     strict=True))))
    commas = sep != "," and any("," in rec[number] for _, rec in rows)
    return rows, commas


def _misfit(cells: list[str], columns: list[str], number: str, comma: bool) -> str:
    """Why a row's fields do not fit the header ('' if they do): more fields than columns,
    or (``comma``: a ','-separated file) a number split at a decimal comma, ``4,1`` read as
    4 and a 1 that fills the next column (a note, or the unit) or adds a field."""
    def split(a: str, b: str) -> bool:
        return comma and bool(_INTEGER.fullmatch(a) and _DIGITS.fullmatch(b))

    hint = "a decimal comma? {0},{1} splits a number in two; write {0}.{1}"
    if len(cells) > len(columns):
        msg = f"{len(cells)} fields where the header has {len(columns)} ({', '.join(columns)})"
        pair = next((p for p in zip(cells, cells[1:], strict=False) if split(*p)), None)
        return msg + (": " + hint.format(*pair) if pair else "")
    k = columns.index(number)
    if k + 1 < len(cells) and split(cells[k], cells[k + 1]):
        return f"{number} {cells[k]} followed by {columns[k + 1]} {cells[k + 1]}: " + hint.format(
            cells[k], cells[k + 1])
    return ""


def _text(path: Path) -> str:
    """The UTF-8 text of a record file; a one-line :class:`ValidationError` otherwise."""
    return decode(read_bytes(path, "cannot be read"), "")


def _number(text: Any) -> float | None:
    try:
        x = float(str(text).strip())
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _read_number(field: str, text: str, commas: bool) -> tuple[float | None, str]:
    """``text`` as a number, else ``None`` and why (a decimal comma gets the decimal-point
    hint); with ``commas`` (a file of decimal commas) a comma is the decimal point."""
    if not text:
        return None, f"{field} is missing"
    if commas and "." in text:
        thousands = (f" (or {text.replace('.', '')} if the point separates thousands)"
                     if _THOUSANDS.fullmatch(text) else "")
        return None, (f"{field} {text!r} has a decimal point in a file of decimal commas: "
                      f"write {text.replace('.', ',')}{thousands}")
    if not commas and _COMMA_NUMBER.fullmatch(text):
        return None, (f"{field} {text!r} has a decimal comma: write {text.replace(',', '.')} "
                      "(numbers take a decimal point)")
    value = _number(text.replace(",", ".") if commas else text)
    return value, "" if value is not None else f"{field} {text!r} is not a number"


def _repeats(name: str, rows: list[dict[str, Any]], key: str,
             report: LoadReport) -> list[dict[str, Any]]:
    """``rows`` without repeats of one quantity (``what``) at one time, in row order.

    A repeat of the same value is counted once (a warning: the value is kept; counted twice
    it would weigh double). Conflicting values are errors and every row of them is left out:
    which one is right cannot be told from the file, and fitting one of them (or their mean)
    would be a silent guess.
    """
    groups: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["what"], r["time_h"]), []).append(r)
    kept = []
    for group in groups.values():
        first = group[0]
        shown = {id(r): f"{r[key]:g}{r['unit']}" for r in group}
        if all(math.isclose(r[key], first[key], rel_tol=1e-9) for r in group):
            kept.append(first)
            for r in group[1:]:
                report.add(name, r["row"], f"repeats row {first['row']} ({first['what']} "
                           f"{shown[id(r)]} on {first['date']}); counted once", "warning")
            continue
        for r in group:
            others = ", ".join(f"{shown[id(o)]} in row {o['row']}" for o in group if o is not r)
            report.add(name, r["row"], f"conflicting values: {r['what']} {shown[id(r)]} here "
                       f"but {others}, on {first['date']}; none of these rows is used (delete "
                       "the wrong ones, or give each its time of day)")
    return sorted(kept, key=lambda r: r["row"])


def _order(name: str, rows: list[tuple[int, float]], report: LoadReport) -> None:
    """Warn about each row dated earlier than the row before it (rows are sorted)."""
    for (_, prev), (row, h) in zip(rows, rows[1:], strict=False):
        if h < prev:
            report.add(name, row, "date is earlier than the previous row's (dates out of "
                       "order); the row is kept and sorted by date", "warning")


def _scores(path: Path, window: _Window, report: LoadReport) -> pd.DataFrame:
    if not path.exists():
        report.add(path.name, None, "file is missing")
    read = _read_csv(path, SCORE_COLUMNS, "score", report) if path.exists() else None
    table, commas = read or ([], False)
    rows: list[dict[str, Any]] = []
    for i, rec in table:
        h, why = window.hours(rec["date"])
        if h is None:
            report.add(path.name, i, why)
            continue
        try:
            sc = scales.get_scale(rec["scale"])
        except MoodtwinError as exc:
            report.add(path.name, i, str(exc).split(" Known:")[0])
            continue
        if sc.construct not in ("depression", "anxiety"):
            report.add(path.name, i, f"scale {sc.name}: the personal twin fits depression and "
                       "anxiety scales only")
            continue
        value, why = _read_number("score", rec["score"], commas)
        if value is None or not 0 <= value <= sc.max_score:
            report.add(path.name, i, why or f"score {rec['score']!r} is not a {sc.name} score "
                       f"(0-{sc.max_score:g})")
            continue
        rows.append({"time_h": h, "date": rec["date"], "scale": sc.name, "score": value,
                     "row": i, "what": sc.name, "unit": ""})
    rows = _repeats(path.name, rows, "score", report)
    _order(path.name, [(r["row"], r["time_h"]) for r in rows], report)
    report.kept[path.name] = len(rows)
    out = pd.DataFrame(rows, columns=["time_h", "date", "scale", "score"])
    return out.sort_values("time_h", kind="stable").reset_index(drop=True)


def _empty_bio() -> pd.DataFrame:
    return pd.DataFrame(columns=["time_h", "date", "observable", "value", "log_sd", "source"])


def _labs(path: Path, window: _Window, report: LoadReport) -> pd.DataFrame | None:
    """The lab values; ``None`` when the file has rows but none can be used, or cannot be
    read (the record is refused rather than fitted as if there were no labs)."""
    read = _read_csv(path, LAB_COLUMNS, "value", report)
    if read is None:
        return None
    table, commas = read
    rows: list[dict[str, Any]] = []
    for i, rec in table:
        h, why = window.hours(rec["date"])
        if h is None:
            report.add(path.name, i, why)
            continue
        analyte = rec["analyte"].lower().replace("-", "")
        if analyte not in ANALYTES:
            close = difflib.get_close_matches(analyte, list(ANALYTES), n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            report.add(path.name, i, f"unknown analyte {rec['analyte']!r}{hint}; known: "
                       f"{', '.join(ANALYTES)}")
            continue
        observable, unit, low, high, log_sd = ANALYTES[analyte]
        value, why = _read_number("value", rec["value"], commas)
        if value is None:
            report.add(path.name, i, why)
            continue
        if not rec["unit"]:
            report.add(path.name, i, f"missing unit: give {analyte} in {unit} (or a unit "
                       "convertible to it)")
            continue
        try:
            value = float(UREG.Quantity(value, rec["unit"]).to(unit).magnitude)
        except Exception:  # pint raises several kinds for unknown or incompatible units
            report.add(path.name, i, f"unit {rec['unit']!r} cannot be converted to {unit}")
            continue
        if not low <= value <= high:
            report.add(path.name, i, f"{analyte} {value:g} {unit} is outside the plausible "
                       f"range {low:g}-{high:g} {unit}")
            continue
        if analyte in ACUTE_ABOVE and value > ACUTE_ABOVE[analyte][0]:
            limit, reason = ACUTE_ABOVE[analyte]
            written = "" if rec["unit"] == unit else f" ({rec['value']} {rec['unit']} as written)"
            report.add(path.name, i, f"{analyte} {value:g} {unit}{written} is above {limit:g} "
                       f"{unit}: {reason}", "warning")
        rows.append({"time_h": h, "date": rec["date"], "observable": observable,
                     "value": value, "log_sd": log_sd, "source": f"labs.csv:{analyte}",
                     "row": i, "what": analyte, "unit": f" {unit}"})
    rows = _repeats(path.name, rows, "value", report)
    _order(path.name, [(r["row"], r["time_h"]) for r in rows], report)
    report.kept[path.name] = len(rows)
    if not rows and any(i.file == path.name for i in report.errors):
        return None
    return pd.DataFrame(rows or None, columns=_empty_bio().columns)


# ---------------------------------------------------------------------------- heart
_HRV_COLUMNS = ["date", "file", "kind", "duration_s", "beats", "corrected", "rmssd_ms",
                "sdnn_ms", "hf_ms2", "lf_ms2"]


#: Heart recordings: RR intervals (``.csv`` or the ``.txt`` exports of Elite HRV, Polar and
#: Kubios: one value per line, or columns separated by ``,``, ``;`` or tabs) or an ECG trace.
HEART_SUFFIXES = (".csv", ".txt")
#: Column names read as RR intervals (lower case; a unit in brackets is read separately).
RR_NAMES = ("rr_ms", "rr", "rri", "rr_interval", "rr-interval", "rr interval", "rr intervals",
            "ibi", "ibi_ms", "rr_s")
_UNIT_SUFFIX = re.compile(r"^(.*?)\s*[\[(]\s*([a-zµ]+)\s*[\])]$")


def _heart(folder: Path, window: _Window,
           report: LoadReport) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    if not folder.is_dir():
        return pd.DataFrame(columns=_HRV_COLUMNS), None
    rows, obs = [], []
    for path in sorted(folder.iterdir()):
        name = f"heart/{path.name}"
        if path.name.startswith("."):
            continue
        if path.suffix.lower() not in HEART_SUFFIXES or not path.is_file():
            report.add(name, None, "not used: heart recordings are .csv or .txt files "
                       "(RR intervals or an ECG trace)")
            continue
        h, why = window.hours(path.stem[:10])
        if h is None:
            report.add(name, None, f"not used: the file name must start with the recording "
                       f"date (YYYY-MM-DD): {why}")
            continue
        try:
            kind, hrv = _recording(path, name, report)
        except ValidationError as exc:
            report.add(name, None, f"not used: {exc}")
            continue
        rows.append({"date": path.stem[:10], "file": name, "kind": kind,
                     **{k: getattr(hrv, k) for k in _HRV_COLUMNS[3:]}})
        obs.append({"time_h": h, "date": path.stem[:10], "observable": "rmssd",
                    "value": hrv.rmssd_ms, "log_sd": RMSSD_LOG_SD, "source": name})
        report.kept[f"{name} (beats after correction)"] = hrv.beats
    return pd.DataFrame(rows, columns=_HRV_COLUMNS), pd.DataFrame(obs, columns=_empty_bio().columns)


def _table(text: str) -> list[list[str]]:
    """Rows of cells: comment (#) and blank lines dropped; cells split at ';', tab, ',' or
    spaces (whichever the first line uses)."""
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if not lines:
        raise ValidationError("the file has no rows.")
    sep = _separator(lines[0])
    return [[c.strip() for c in (ln.split(sep) if sep else ln.split())] for ln in lines]


def _separator(line: str) -> str | None:
    """The field separator of a record file: ';', tab or ',', the first of these its first
    line holds; ``None`` for spaces."""
    return next((c for c in (";", "\t", ",") if c in line), None)


def _column(label: str) -> tuple[str, str | None]:
    """Canonical column name (``rr_ms``, ``time_s``, ``ecg`` or the label) and its unit."""
    label = label.strip().strip('"').lower()
    m = _UNIT_SUFFIX.match(label)
    name, unit = (m.group(1), m.group(2)) if m else (label, None)
    if name in RR_NAMES:
        return "rr_ms", unit or ("s" if name == "rr_s" else None)
    if name in ("time_s", "time"):
        return "time_s", unit or ("s" if name == "time_s" else None)
    return name, unit


def _recording(path: Path, name: str, report: LoadReport) -> tuple[str, HRV]:
    rows = _table(_text(path))
    if _number(rows[0][0]) is None:  # a header row
        columns = [_column(c) for c in rows[0]]
        rows = rows[1:]
    elif all(len(r) == 1 for r in rows):
        columns = [("rr_ms", None)]
    else:
        raise ValidationError("several columns but no header; name them (rr_ms[, time_s] or "
                              "time_s, ecg).")
    names = [c for c, _ in columns]
    width = len(names)
    frame = pd.DataFrame([(r + [""] * width)[:width] for r in rows], columns=names, dtype=str)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    if "time_s" in frame.columns and dict(columns)["time_s"] not in (None, "s"):
        raise ValidationError(f"time column in {dict(columns)['time_s']!r}; give time_s in "
                              "seconds.")
    if "ecg" in frame.columns:
        return "ecg", _ecg(frame, name, report)
    if "rr_ms" not in frame.columns:
        raise ValidationError(f"columns {names}: give RR intervals (a column rr_ms, RR or "
                              "rr, optionally time_s; or one value per line) or time_s and ecg.")
    for col in frame.columns:
        if col not in ("rr_ms", "time_s"):
            report.add(name, None, f"column {col!r} is not used", "warning")
    return "rr", _rr(frame, name, report, dict(columns)["rr_ms"])


def _rr(frame: pd.DataFrame, name: str, report: LoadReport, unit: str | None) -> HRV:
    lo, hi = RR_RANGE_MS
    values = pd.to_numeric(frame["rr_ms"], errors="coerce")
    median = float(values.median()) if values.notna().any() else math.nan
    if unit not in (None, "ms", "s"):
        raise ValidationError(f"RR intervals in {unit!r}; give them in ms or s.")
    if unit != "s" and values.between(*HR_RANGE_BPM).sum() > 0.5 * values.notna().sum():
        raise ValidationError(f"these values (median {median:.3g}) look like heart rates in "
                              "beats/min; RR intervals are in ms (60000/HR): export the "
                              "beat-to-beat RR intervals, not the heart rate.")
    if unit == "s" or median < 10.0:  # physiological RR is 0.3-2 s: these are seconds
        if unit != "s":
            report.add(name, None, f"RR values (median {median:.3g}) are in seconds, not ms; "
                       "read as seconds", "warning")
        frame = frame.assign(rr_ms=[f"{x * 1000.0:.6g}" for x in values])
    rr, times, clock = [], [], 0.0
    stamped = "time_s" in frame.columns
    previous = -math.inf
    for i, rec in enumerate(frame.to_dict("records"), start=1):
        value = _number(rec["rr_ms"])
        t = _number(rec["time_s"]) if stamped else None
        if stamped and (t is None or t <= previous):
            report.add(name, i, f"time_s {rec['time_s']!r} is not a number after the previous "
                       "row's (timestamps must increase)")
            continue
        if value is None or not lo <= value <= hi:
            report.add(name, i, f"RR interval {rec['rr_ms']!r} ms is outside the physiological "
                       f"range {lo:g}-{hi:g} ms; left out (the gap is corrected as a missed "
                       "beat)")
            if not stamped and value is not None and 0 < value < 10_000:
                clock += value / 1000.0  # the interval still took its time
            continue
        clock = t if stamped else clock + value / 1000.0
        previous = clock
        rr.append(value)
        times.append(clock)
    if len(rr) < 30:
        raise ValidationError(f"only {len(rr)} valid RR intervals (at least 30 and 60 s are "
                              "needed for HRV).")
    return hrv_from_rr(np.array(rr), np.array(times))


def _ecg(frame: pd.DataFrame, name: str, report: LoadReport) -> HRV:
    if "time_s" not in frame.columns:
        raise ValidationError("an ECG needs columns time_s (s) and ecg (amplitude).")
    t = pd.to_numeric(frame["time_s"], errors="coerce").to_numpy()
    x = pd.to_numeric(frame["ecg"], errors="coerce").to_numpy()
    bad = ~np.isfinite(t) | ~np.isfinite(x)
    for i in np.flatnonzero(bad)[:20]:
        report.add(name, int(i) + 1, "not a number; the sample is interpolated")
    if bad.sum() > 20:
        report.add(name, None, f"{int(bad.sum()) - 20} more non-numeric samples interpolated")
    if (~bad).sum() < 2:
        raise ValidationError("no numeric ECG samples.")
    idx = np.arange(len(x))
    t = np.interp(idx, idx[~bad], t[~bad])
    x = np.interp(idx, idx[~bad], x[~bad])
    step = np.diff(t)
    if np.any(step <= 0):
        raise ValidationError("time_s must increase from sample to sample.")
    fs = 1.0 / float(np.median(step))
    if not 50.0 <= fs <= 10_000.0:
        raise ValidationError(f"sampling rate {fs:.0f} Hz is outside 50-10000 Hz.")
    return hrv_from_ecg(x, fs)
