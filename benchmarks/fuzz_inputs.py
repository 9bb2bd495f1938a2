"""Mutation fuzzer over the shipped input files (a developer harness, not part of the library).

Mutates the shipped examples (protocols, trials, parameter sets, optimize spaces, the
synthetic person folder) and runs each mutant through the library loaders in a forked child
with a time limit and a memory cap. Each outcome is one of:

``loaded``    the loader accepted the input (fine unless the mutation is known to be invalid);
``error``     a moodtwin error with a one-line message (the wanted refusal);
``traceback`` any other exception, or a moodtwin error whose message spans several lines;
``silent``    a mutation known to make the input invalid (a decimal comma, a boolean as a
              number, a duplicate key, ...) was accepted without an error;
``hang``      the child ran past the time limit or the memory cap.

Run from the repository root::

    python benchmarks/fuzz_inputs.py --n 1000 --seed 0

Research software, not medical advice.
"""

from __future__ import annotations

import argparse
import collections
import copy
import os
import pickle
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from moodtwin.errors import MoodtwinError  # noqa: E402

TIME_LIMIT_S = 60
MEMORY_CAP = 3 * 2**30  # bytes of address space added to the parent's

# ---------------------------------------------------------------------------- targets


def _load_protocol(path: Path) -> None:
    from moodtwin.model import default_model
    from moodtwin.protocols import compile_protocol, load_protocol

    model = default_model()
    compile_protocol(load_protocol(path), model, model.defaults())


def _load_trial(path: Path) -> None:
    from moodtwin.trials import load_trial

    trial = load_trial(path)
    for arm in trial.all_arms():  # what a run does with cohort overrides
        trial.population.merged(arm.population)


def _load_parameter_set(path: Path) -> None:
    from moodtwin.parameter_sets import calibrated_model

    calibrated_model(path)


def _load_space(path: Path) -> None:
    from moodtwin.optimize._space import load_space

    load_space(path)


def _load_person(folder: Path) -> Any:
    from moodtwin.person import load_person

    return load_person(folder)[1].text()


def _files() -> dict[str, list[Path]]:
    return {
        "protocol": sorted((ROOT / "examples/protocols").glob("*.yaml")),
        "trial": sorted((ROOT / "examples/trials").glob("*.yaml")),
        "parameter_set": [ROOT / "src/moodtwin/data/calibrated.yaml"],
        "space": sorted((ROOT / "examples/optimize").glob("*.yaml")),
    }


LOADERS: dict[str, Callable[[Path], Any]] = {
    "protocol": _load_protocol, "trial": _load_trial, "parameter_set": _load_parameter_set,
    "space": _load_space, "person": _load_person,
}

# ---------------------------------------------------------------------------- YAML mutations
# Each mutation returns (new text or bytes, invalid) where ``invalid`` says the result must
# be refused; None when the mutation does not apply to this document.

_QUANTITY_UNITS = ("mA", "us", "Hz", "s", "min", "d", "h", "week", "mg/kg", "mg", "U", "kg")


def walk(node: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every (path, value) of a parsed YAML document, the root (path ``()``) first."""
    out = [(path, node)]
    items = node.items() if isinstance(node, dict) else (
        enumerate(node) if isinstance(node, list) else ())
    for k, v in items:
        out += walk(v, (*path, k))
    return out


def _leaves(node: Any) -> list[tuple[tuple, Any]]:
    return [(p, v) for p, v in walk(node) if not isinstance(v, dict | list)]


def _nodes(node: Any) -> list[tuple]:
    return [p for p, _ in walk(node)]


def replaced(doc: Any, path: tuple, value: Any) -> Any:
    """A copy of ``doc`` with the node at ``path`` replaced by ``value``."""
    doc = copy.deepcopy(doc)
    if not path:
        return value
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return doc


def _is_quantity(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    parts = v.split()
    if len(parts) != 2:
        return False
    try:
        float(parts[0])
    except ValueError:
        return False
    return parts[1] in _QUANTITY_UNITS or "/" in parts[1]


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _quantity_mutation(rng: random.Random, doc: Any, kind: str) -> tuple[str, bool] | None:
    cands = [(p, v) for p, v in _leaves(doc) if _is_quantity(v)]
    if not cands:
        return None
    path, v = rng.choice(cands)
    num, unit = v.split()
    x = float(num)
    if kind == "decimal_comma":
        new = (f"{num.replace('.', ',')} {unit}" if "." in num else f"{num},5 {unit}")
    elif kind == "unit_only":
        new = unit
    elif kind == "repeated_number":
        new = f"{num} {unit} {num}"
    elif kind == "unicode_minus":
        if x <= 0:
            return None
        new = f"\u2212{num} {unit}"
    elif kind == "nonfinite_quantity":
        new = rng.choice([f"inf {unit}", f"1e400 {unit}", f"nan {unit}"])
    else:
        raise ValueError(kind)
    return _dump(replaced(doc, path, new)), True


def _number_mutation(rng: random.Random, doc: Any, kind: str) -> tuple[str, bool] | None:
    cands = [(p, v) for p, v in _leaves(doc) if _is_number(v)]
    if not cands:
        return None
    path, _ = rng.choice(cands)
    new = {"bool": rng.choice(["true", "false"]),
           "nonfinite": rng.choice([".inf", "-.inf", ".nan"]),
           "huge_int": "1" + "0" * 400}[kind]
    return _with_raw(doc, path, new), True


_RAW = "@@RAW@@"  # YAML quotes it ('@' cannot start a plain scalar)


def _with_raw(doc: Any, path: tuple, raw: str) -> str:
    """``doc`` as YAML with the node at ``path`` written as the raw YAML text ``raw``."""
    text = _dump(replaced(doc, path, _RAW))
    assert f"'{_RAW}'" in text
    return text.replace(f"'{_RAW}'", raw)


def _duplicate_key(rng: random.Random, doc: Any) -> tuple[str, bool] | None:
    if not isinstance(doc, dict) or not doc:
        return None
    cands = [p for p in _nodes(doc) if p and isinstance(p[-1], str)]
    path = rng.choice(cands)
    parent: Any = doc
    for p in path[:-1]:
        parent = parent[p]
    value = parent[path[-1]]
    text = _dump(replaced(doc, path, _RAW))
    # repeat the key with its old value right after the changed one: last one wins silently
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if f"'{_RAW}'" in line:
            indent = line[: len(line) - len(line.lstrip())]
            key = line.strip().split(":")[0]
            if key.startswith("- "):
                return None
            dumped = yaml.safe_dump({key: value}, sort_keys=False, default_flow_style=True,
                                    allow_unicode=True).strip()
            lines[i] = line.replace(f"'{_RAW}'", "'other'")
            lines.insert(i + 1, indent + dumped[1:-1])
            return "\n".join(lines) + "\n", True
    return None


def _deep(rng: random.Random, doc: Any) -> tuple[str, bool] | None:
    depth = rng.choice([5000, 20000])
    path = rng.choice(_nodes(doc)[1:] or [()])
    return _with_raw(doc, path, "[" * depth + "]" * depth), True


def _encoding(rng: random.Random, text: str) -> tuple[bytes, bool]:
    how = rng.choice(["utf16", "latin1", "binary"])
    if how == "utf16":
        return text.encode("utf-16"), True
    if how == "latin1":
        return ("# r\u00e9sum\u00e9 \u00e9t\u00e9\n" + text).encode("latin-1"), True
    return bytes(rng.randrange(256) for _ in range(rng.randrange(20, 400))), True


_POOL: list[Any] = [None, "", 0, -1, 1, 2.5, 10**6, [], {}, "abc", "1 d", "0 mA", "5 min",
                    "100 week", "-3 h", [1, 2], {"a": 1}, "1 kg", "true", "$x^2$", "<b>"]


def _neutral(rng: random.Random, doc: Any) -> tuple[str, bool] | None:
    how = rng.choice(["delete", "replace", "swap"])
    nodes = _nodes(doc)[1:]
    if not nodes:
        return None
    path = rng.choice(nodes)
    if how == "delete":
        doc = copy.deepcopy(doc)
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        del parent[path[-1]]
    elif how == "replace":
        doc = replaced(doc, path, copy.deepcopy(rng.choice(_POOL)))
    else:
        strings = [v for _, v in _leaves(doc) if isinstance(v, str)]
        if not strings:
            return None
        doc = replaced(doc, path, rng.choice(strings))
    return _dump(doc), False


def _text_neutral(rng: random.Random, text: str) -> tuple[str, bool]:
    how = rng.choice(["truncate", "drop_line", "flip"])
    if how == "truncate":
        return text[: rng.randrange(len(text) + 1)], False
    lines = text.splitlines()
    if how == "drop_line" and lines:
        del lines[rng.randrange(len(lines))]
        return "\n".join(lines) + "\n", False
    i = rng.randrange(len(text))
    return text[:i] + rng.choice(":-[]{}'\"#&*!|>% \t\n0") + text[i + 1:], False


def _trial_visits(rng: random.Random, doc: Any) -> tuple[str, bool] | None:
    if not isinstance(doc, dict) or "visits" not in doc:
        return None
    doc = copy.deepcopy(doc)
    doc["visits"] = {"every": rng.choice(["1 s", "1 min", "0.001 s"])}
    return _dump(doc), True


def _arm_population(rng: random.Random, doc: Any) -> tuple[str, bool] | None:
    if not isinstance(doc, dict) or not isinstance(doc.get("arms"), list) or not doc["arms"]:
        return None
    doc = copy.deepcopy(doc)
    arm = rng.choice(doc["arms"])
    if not isinstance(arm, dict):
        return None
    arm["population"] = rng.choice([{"female": 2}, {"age": {"mean": "old"}},
                                    {"baseline": {"sd": -1}}, {"no_such_field": 1},
                                    {"female": True}])
    return _dump(doc), True


def _allocation(rng: random.Random, doc: Any) -> tuple[str, bool] | None:
    if not isinstance(doc, dict) or not isinstance(doc.get("arms"), list) or not doc["arms"]:
        return None
    return _with_raw(doc, ("arms", 0, "allocation"), rng.choice([".inf", ".nan", "true"])), True


YAML_MUTATIONS: dict[str, Callable[..., Any]] = {
    "decimal_comma": lambda r, d, t: _quantity_mutation(r, d, "decimal_comma"),
    "unit_only": lambda r, d, t: _quantity_mutation(r, d, "unit_only"),
    "repeated_number": lambda r, d, t: _quantity_mutation(r, d, "repeated_number"),
    "unicode_minus": lambda r, d, t: _quantity_mutation(r, d, "unicode_minus"),
    "nonfinite_quantity": lambda r, d, t: _quantity_mutation(r, d, "nonfinite_quantity"),
    "bool_number": lambda r, d, t: _number_mutation(r, d, "bool"),
    "nonfinite_number": lambda r, d, t: _number_mutation(r, d, "nonfinite"),
    "huge_int": lambda r, d, t: _number_mutation(r, d, "huge_int"),
    "duplicate_key": lambda r, d, t: _duplicate_key(r, d),
    "deep_nesting": lambda r, d, t: _deep(r, d),
    "encoding": lambda r, d, t: _encoding(r, t),
    "trial_visits": lambda r, d, t: _trial_visits(r, d),
    "arm_population": lambda r, d, t: _arm_population(r, d),
    "allocation": lambda r, d, t: _allocation(r, d),
    "neutral_tree": lambda r, d, t: _neutral(r, d),
    "neutral_text": lambda r, d, t: _text_neutral(r, t),
}

# ---------------------------------------------------------------------------- person mutations
PERSON = ROOT / "examples/person/synthetic_vns"


def _person_mutation(rng: random.Random, folder: Path) -> tuple[str, bool, str]:
    """Mutate the copied person ``folder`` in place; (mutation, invalid, file it touches)."""
    scores, heart = folder / "scores.csv", folder / "heart"
    rr = sorted(heart.glob("*_rr.csv"))[0]
    values = [x for x in rr.read_text().split()[1:]]
    how = rng.choice(["scores_latin1", "scores_utf16", "scores_binary", "score_timezone",
                      "labs_latin1", "heart_binary", "heart_txt_lines", "heart_txt_polar",
                      "heart_seconds", "heart_RR_column", "person_duplicate",
                      "person_weight_minus", "person_deep", "treatments_comma",
                      "scores_neutral"])
    if how == "scores_latin1":
        lines = scores.read_text().splitlines()
        lines[0] += ",note"
        lines[1:] = [ln + ",caf\u00e9" for ln in lines[1:]]
        scores.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
        return how, True, "scores.csv"
    if how == "scores_utf16":
        scores.write_bytes(scores.read_text().encode("utf-16"))
        return how, True, "scores.csv"
    if how == "scores_binary":
        scores.write_bytes(bytes(rng.randrange(256) for _ in range(300)))
        return how, True, "scores.csv"
    if how == "score_timezone":
        lines = scores.read_text().splitlines()
        k = rng.randrange(1, len(lines))
        d, rest = lines[k].split(",", 1)
        lines[k] = f"{d}T09:00:00+02:00,{rest}"
        scores.write_text("\n".join(lines) + "\n")
        return how, False, "scores.csv"
    if how == "labs_latin1":
        labs = folder / "labs.csv"
        labs.write_bytes(("# m\u00e9decin\n" + labs.read_text()).encode("latin-1"))
        return how, True, "labs.csv"
    if how == "heart_binary":
        rr.write_bytes(bytes(rng.randrange(256) for _ in range(300)))
        return how, True, f"heart/{rr.name}"
    if how == "heart_txt_lines":  # Elite HRV: one RR (ms) per line, no header
        rr.unlink()
        (heart / (rr.stem + ".txt")).write_text("\n".join(values) + "\n")
        return how, False, f"heart/{rr.stem}.txt"
    if how == "heart_txt_polar":  # Polar: ';'-separated with a header
        rr.unlink()
        body = "\n".join(f"{i};{v}" for i, v in enumerate(values))
        (heart / (rr.stem + ".txt")).write_text("sample;RR\n" + body + "\n")
        return how, False, f"heart/{rr.stem}.txt"
    if how == "heart_seconds":
        rr.write_text("rr_ms\n" + "\n".join(f"{float(v) / 1000:.3f}" for v in values) + "\n")
        return how, False, f"heart/{rr.name}"
    if how == "heart_RR_column":
        rr.write_text(rng.choice(["RR", "rr", "RR (ms)"]) + "\n" + "\n".join(values) + "\n")
        return how, False, f"heart/{rr.name}"
    if how == "person_duplicate":
        p = folder / "person.yaml"
        p.write_text(p.read_text() + "start_date: 2023-01-01\n")
        return how, True, "person.yaml"
    if how == "person_weight_minus":
        p = folder / "person.yaml"
        p.write_text(p.read_text() + "body_weight: \u221282 kg\n")
        return how, True, "person.yaml"
    if how == "person_deep":
        p = folder / "person.yaml"
        p.write_text(p.read_text() + "description: " + "[" * 20000 + "]" * 20000 + "\n")
        return how, True, "person.yaml"
    if how == "treatments_comma":
        t = folder / "treatments.yaml"
        text = t.read_text()
        new = text.replace("1.5 mA", "1,5 mA").replace("1.25 mA", "1,25 mA")
        new = new.replace("0.5 mA", "0,5 mA").replace("1 mA", "1,0 mA")
        if new == text:
            return how, False, "treatments.yaml"
        t.write_text(new)
        return how, True, "treatments.yaml"
    # neutral: a random row made wrong
    lines = scores.read_text().splitlines()
    k = rng.randrange(1, len(lines))
    cells = lines[k].split(",")
    cells[rng.randrange(len(cells))] = rng.choice(["", "x", "-1", "1e400", "nan", "2999-01-01",
                                                   "MADRS;", "\u00e9"])
    lines[k] = ",".join(cells)
    scores.write_text("\n".join(lines) + "\n")
    return "scores_neutral", False, "scores.csv"


# ---------------------------------------------------------------------------- running


def _child(kind: str, path: Path, conn_w: int) -> None:
    soft = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 + MEMORY_CAP
    resource.setrlimit(resource.RLIMIT_AS, (soft, soft))
    signal.alarm(TIME_LIMIT_S)
    try:
        value = LOADERS[kind](path)
        out: tuple[str, str] = ("loaded", str(value or ""))
    except MoodtwinError as exc:
        msg = str(exc)
        out = ("error", msg) if "\n" not in msg.strip() else ("traceback", "multi-line: " + msg)
    except MemoryError:
        out = ("hang", "MemoryError")
    except BaseException as exc:  # noqa: BLE001 - the fuzzer records every kind
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        out = ("traceback", f"{type(exc).__name__}: {str(exc)[:160]} "
                            f"[{Path(tb.filename).name}:{tb.lineno}]")
    os.write(conn_w, pickle.dumps(out))
    os._exit(0)


def run_one(kind: str, path: Path) -> tuple[str, str]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        _child(kind, path, w)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 65536):
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        return "hang", f"child ended without a result (signal {sig})"
    return pickle.loads(b"".join(chunks))


def _warm() -> None:
    """Import and build once in the parent so that each forked child starts warm."""
    from moodtwin.model import default_model
    from moodtwin.optimize import _space  # noqa: F401
    from moodtwin.parameter_sets import calibrated_model
    from moodtwin.person import load_person  # noqa: F401
    from moodtwin.trials import load_trial  # noqa: F401

    default_model()
    calibrated_model()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="mutations in all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--show", type=int, default=3, help="examples printed per finding kind")
    args = ap.parse_args()
    _warm()
    rng = random.Random(args.seed)
    files = _files()
    kinds = [*files, "person"]
    counts: collections.Counter[str] = collections.Counter()
    findings: dict[tuple[str, str, str], list[str]] = collections.defaultdict(list)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        done = 0
        while done < args.n:
            kind = rng.choice(kinds)
            case = Path(tmp) / f"case{done}"
            if kind == "person":
                shutil.copytree(PERSON, case)
                mutation, invalid, touched = _person_mutation(rng, case)
                target = case
            else:
                src = rng.choice(files[kind])
                text = src.read_text()
                doc = yaml.safe_load(text)
                name = rng.choice(list(YAML_MUTATIONS))
                res = YAML_MUTATIONS[name](rng, doc, text)
                if res is None:
                    continue
                data, invalid = res
                case.mkdir()
                target = case / src.name
                if isinstance(data, bytes):
                    target.write_bytes(data)
                else:
                    target.write_text(data)
                if kind == "trial":  # protocol paths are relative to the trial file
                    shutil.copytree(src.parent.parent / "protocols", case.parent / "protocols",
                                    dirs_exist_ok=True)
                mutation, touched = name, src.name
            outcome, detail = run_one(kind, target)
            if kind == "person" and outcome == "loaded" and invalid:
                # a refused file shows up as an error line naming it in the report
                flagged = any(touched in ln and ln.startswith("error") for ln in
                              detail.splitlines())
                outcome = "loaded" if flagged else "silent"
            elif outcome == "loaded" and invalid:
                outcome = "silent"
            if kind == "person" and outcome == "loaded" and mutation.startswith("heart_") \
                    and not invalid and f"{touched} (beats" not in detail:
                outcome, detail = "silent", "heart file not used: " + " | ".join(
                    ln for ln in detail.splitlines() if touched.split(".")[0] in ln)
            counts[outcome] += 1
            if outcome in ("traceback", "silent", "hang"):
                findings[(outcome, kind, mutation)].append(
                    f"{touched}: {detail.splitlines()[0] if detail else ''}"[:220])
            shutil.rmtree(case, ignore_errors=True)
            done += 1
    took = time.perf_counter() - start
    print(f"{args.n} mutations (seed {args.seed}) in {took:.0f} s: " + ", ".join(
        f"{k} {counts[k]}" for k in ("loaded", "error", "traceback", "silent", "hang")))
    for (outcome, kind, mutation), items in sorted(findings.items()):
        print(f"  {outcome:<9} {kind:<13} {mutation:<18} x{len(items)}")
        for item in items[: args.show]:
            print(f"      {item}")


if __name__ == "__main__":
    main()
