"""Property-based tests (hypothesis) over every input file format: any input either loads or
raises moodtwin's own error with a one-line message; never another exception.

Formats: quantities and times, protocol, trial, parameter set, optimize space, population,
person record (person.yaml, scores.csv, labs.csv, heart recordings). Inputs are the shipped
examples with one node replaced by an arbitrary value, arbitrary text, or arbitrary bytes.
"""

from __future__ import annotations

import importlib.util
import math
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moodtwin.errors import MoodtwinError, ValidationError
from moodtwin.optimize._space import load_space
from moodtwin.parameter_sets import load_parameter_set
from moodtwin.person import load_person
from moodtwin.population import load_population_spec
from moodtwin.protocols import load_protocol
from moodtwin.trials import load_trial
from moodtwin.units import hours, quantity, times

ROOT = Path(__file__).resolve().parents[1]
_SPEC = importlib.util.spec_from_file_location("fuzz_inputs", ROOT / "benchmarks/fuzz_inputs.py")
FUZZ = importlib.util.module_from_spec(_SPEC)  # the fuzzer's document helpers
_SPEC.loader.exec_module(FUZZ)
PERSON = ROOT / "examples" / "person" / "synthetic_vns"
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def loads_or_one_line_error(load: Callable[[], Any]) -> Any:
    """Run ``load``; a moodtwin error must be one non-empty line, anything else fails."""
    try:
        return load()
    except MoodtwinError as exc:
        msg = str(exc)
        assert msg.strip() and "\n" not in msg, repr(msg)
        return None


# ---------------------------------------------------------------------------- quantities
UNITS_H = {"h": 1.0, "d": 24.0, "day": 24.0, "week": 168.0, "w": 168.0, "wk": 168.0,
           "min": 1 / 60, "s": 1 / 3600, "mo": 730.5, "month": 730.5, "y": 8766.0,
           "fortnight": 336.0}


@FAST
@given(st.text(max_size=24))
def test_any_text_is_a_time_or_a_one_line_error(text: str) -> None:
    h = loads_or_one_line_error(lambda: hours(text, "t", -1e12, 1e12))
    if h is not None:
        assert math.isfinite(h)
    if "," in text:
        assert h is None  # a decimal comma is never read as some other number


@FAST
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.sampled_from(list(UNITS_H)),
       st.sampled_from(["", " ", "  "]))
def test_a_number_and_a_unit_read_exactly(x: float, unit: str, space: str) -> None:
    assert hours(f"{x!r}{space}{unit}", "t", -1e12, 1e12) == pytest.approx(x * UNITS_H[unit])


@FAST
@given(st.floats(min_value=0.01, max_value=100, allow_nan=False), st.sampled_from(list(UNITS_H)))
def test_a_typographic_minus_keeps_the_sign(x: float, unit: str) -> None:
    assert hours(f"\u2212{x!r} {unit}", "t", -1e12, 1e12) == pytest.approx(-x * UNITS_H[unit])


@FAST
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.lists(st.integers()),
                 st.text(max_size=12)),
       st.sampled_from(["mA", "mg/kg", "us", "Hz", "U", "kg", "dimensionless"]))
def test_any_value_is_a_quantity_or_a_one_line_error(value: Any, unit: str) -> None:
    q = loads_or_one_line_error(lambda: quantity(value, unit, "f", -1e9, 1e9))
    if q is not None:
        assert math.isfinite(q) and not isinstance(value, bool)


@FAST
@given(st.text(max_size=30))
def test_time_lists_parse_or_fail_in_one_line(text: str) -> None:
    out = loads_or_one_line_error(lambda: times(text, "--at"))
    if out is not None:
        assert all(math.isfinite(h) for _, h in out) and len(out) == len(text.split(","))


# ---------------------------------------------------------------------------- YAML formats
def _examples() -> dict[str, tuple[list[Path], Callable[[Path], Any]]]:
    return {
        "protocol": (sorted((ROOT / "examples/protocols").glob("*.yaml")), load_protocol),
        "trial": (sorted((ROOT / "examples/trials").glob("*.yaml")), load_trial),
        "parameter set": ([ROOT / "src/moodtwin/data/calibrated.yaml"], load_parameter_set),
        "space": (sorted((ROOT / "examples/optimize").glob("*.yaml")), load_space),
    }


EXAMPLES = _examples()
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**300, max_value=10**400),
    st.floats(), st.text(max_size=10),
    st.sampled_from(["0,5 mA", "1,5 mA", "d", "7 s 7", "\u221282 kg", "1 s", "inf", ".inf",
                     "6mo", "6 fortnight", "$x^$", "1e400 d", "2 week", "0.5 mg/kg"]))
VALUES = st.recursive(SCALARS, lambda c: st.one_of(st.lists(c, max_size=3),
                                                   st.dictionaries(st.text(max_size=6), c,
                                                                   max_size=3)), max_leaves=6)


def _load_in_copy(kind: str, src: Path, content: str | bytes) -> Any:
    loader = EXAMPLES[kind][1]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case" / src.name
        path.parent.mkdir()
        if kind == "trial":  # trial protocol paths are relative to the trial
            shutil.copytree(ROOT / "examples" / "protocols", Path(tmp) / "protocols")
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
        return loads_or_one_line_error(lambda: loader(path))


@SLOW
@pytest.mark.parametrize("kind", list(EXAMPLES))
@given(data=st.data())
def test_any_node_replaced_loads_or_fails_in_one_line(kind: str, data: st.DataObject) -> None:
    src = data.draw(st.sampled_from(EXAMPLES[kind][0]))
    doc = yaml.safe_load(src.read_text())
    path = data.draw(st.sampled_from([p for p, _ in FUZZ.walk(doc)]))
    doc = FUZZ.replaced(doc, path, data.draw(VALUES))
    _load_in_copy(kind, src, yaml.safe_dump(doc, allow_unicode=True))


@SLOW
@pytest.mark.parametrize("kind", list(EXAMPLES))
@given(data=st.data())
def test_any_text_edit_loads_or_fails_in_one_line(kind: str, data: st.DataObject) -> None:
    src = data.draw(st.sampled_from(EXAMPLES[kind][0]))
    text = src.read_text()
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 20)))
    _load_in_copy(kind, src, text[:i] + data.draw(st.text(max_size=8)) + text[j:])


@SLOW
@pytest.mark.parametrize("kind", list(EXAMPLES))
@given(data=st.data())
def test_any_bytes_or_encoding_fail_in_one_line(kind: str, data: st.DataObject) -> None:
    src = data.draw(st.sampled_from(EXAMPLES[kind][0]))
    text = "# caf\u00e9 \u00e9t\u00e9\n" + src.read_text()
    content = data.draw(st.one_of(st.binary(max_size=300),
                                  st.sampled_from([text.encode("latin-1", "replace"),
                                                   text.encode("utf-16")])))
    assert _load_in_copy(kind, src, content) is None or content.isascii()


@SLOW
@given(VALUES)
def test_population_files_load_or_fail_in_one_line(value: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "population.yaml"
        path.write_text(yaml.safe_dump({"baseline": value}, allow_unicode=True))
        loads_or_one_line_error(lambda: load_population_spec(path))


# ---------------------------------------------------------------------------- person record
def _record(tmp: str) -> Path:
    folder = Path(tmp) / "rec"
    folder.mkdir()
    for name in ("person.yaml", "treatments.yaml"):
        shutil.copy(PERSON / name, folder / name)
    (folder / "scores.csv").write_text("date,scale,score\n2024-01-08,MADRS,30\n")
    return folder


def _check_record(folder: Path) -> None:
    out = loads_or_one_line_error(lambda: load_person(folder))
    if out is not None:
        for issue in out[1].issues:
            assert "\n" not in issue.line(), issue.line()


CELLS = st.one_of(st.sampled_from(["2024-01-08", "2024-02-01T09:00+02:00", "2023-01-01",
                                   "MADRS", "PHQ9", "30", "-1", "1e400", "nan", "crp", "mg/L",
                                   "caf\u00e9", "", '"', "2024-13-45"]),
                  st.text(max_size=6))
ENCODING = st.sampled_from(["utf-8", "latin-1", "utf-16", "utf-8-sig"])


@SLOW
@given(st.lists(st.lists(CELLS, min_size=1, max_size=5), max_size=6), ENCODING,
       st.sampled_from(["scores.csv", "labs.csv"]))
def test_person_csv_files_load_or_fail_in_one_line(rows: list[list[str]], encoding: str,
                                                   name: str) -> None:
    header = "date,scale,score,note" if name == "scores.csv" else "date,analyte,value,unit"
    text = "\n".join([header, *(",".join(r) for r in rows)]) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        folder = _record(tmp)
        (folder / name).write_bytes(text.encode(encoding, "replace"))
        _check_record(folder)


@SLOW
@given(st.lists(st.one_of(st.floats(300, 2000), st.floats(0.3, 2.0), st.floats(),
                          st.integers(-10, 10**6)), max_size=90),
       st.sampled_from(["", "rr_ms\n", "RR\n", "rr\n", "RR (s)\n", "RR-interval [ms]\n",
                        "time_s,ecg\n", "x;y\n"]),
       st.sampled_from(["\n", ";\n", ",1\n", "\t\n"]), st.sampled_from([".csv", ".txt", ".dat"]),
       ENCODING)
def test_heart_files_load_or_fail_in_one_line(values: list[float], header: str, end: str,
                                              suffix: str, encoding: str) -> None:
    text = header + "".join(f"{v}{end}" for v in values)
    with tempfile.TemporaryDirectory() as tmp:
        folder = _record(tmp)
        (folder / "heart").mkdir()
        (folder / "heart" / f"2024-01-09_x{suffix}").write_bytes(text.encode(encoding, "replace"))
        _check_record(folder)


@SLOW
@given(VALUES, st.sampled_from(["start_date", "body_weight", "id", "description", "extra"]))
def test_person_yaml_loads_or_fails_in_one_line(value: Any, key: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _record(tmp)
        doc = yaml.safe_load((PERSON / "person.yaml").read_text())
        doc[key] = value
        (folder / "person.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
        _check_record(folder)


def test_the_checker_catches_other_exceptions() -> None:
    """The property helper itself can fail: a non-moodtwin exception propagates."""
    with pytest.raises(ZeroDivisionError):
        loads_or_one_line_error(lambda: 1 / 0)
    with pytest.raises(AssertionError):
        loads_or_one_line_error(lambda: (_ for _ in ()).throw(ValidationError("a\nb")))
