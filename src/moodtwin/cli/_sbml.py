"""``moodtwin export-sbml``: the model and a protocol as SBML Level 3 Version 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moodtwin.cli._app import (
    DISCLAIMER,
    ParamOverridesOption,
    ParamsOption,
    app,
    errors_as_one_line,
    say,
)
from moodtwin.errors import MoodtwinError


@app.command("export-sbml",
             help="Write the model as SBML Level 3 Version 2 (checked with libsbml: zero "
                  "errors), generated from the same definition as the solver: states as rate "
                  "rules, derived quantities as assignment rules, units, parameter provenance "
                  "as annotations and the protocol's doses and stimulation changes as events. "
                  "Initial values are the burned-in steady state of the reference patient "
                  "(or of --param overrides).")
@errors_as_one_line
def export_sbml(
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="SBML file to write (e.g. model.xml).", dir_okay=False,
        show_default=False)],
    protocol: Annotated[Path | None, typer.Option(
        "--protocol", help="Protocol file (YAML) whose events to include. Default: 52 weeks "
                           "of no treatment (no events).", dir_okay=False,
        show_default=False)] = None,
    param: ParamOverridesOption = None,
    params: ParamsOption = None,
) -> None:
    import libsbml

    from moodtwin.cli._core import _parse_params
    from moodtwin.parameter_sets import resolve
    from moodtwin.protocols import load_protocol
    from moodtwin.sbml import build_document, consistency

    spec = load_protocol(protocol) if protocol is not None else None
    overrides = _parse_params(param)
    ps = resolve(params)
    typer.echo(DISCLAIMER)
    say("building SBML (steady-state burn-in, then libsbml consistency checks) ...")
    doc = build_document(spec, overrides, parameters=ps)
    errors, warnings = consistency(doc)
    if errors:
        raise MoodtwinError(f"the generated SBML has {len(errors)} consistency errors; "
                            f"first: {errors[0]}")

    out.parent.mkdir(parents=True, exist_ok=True)
    if not libsbml.writeSBMLToFile(doc, str(out)):
        raise OSError(f"cannot write {out}")
    m = doc.getModel()
    typer.echo(f"SBML L{doc.getLevel()}V{doc.getVersion()} written to {out.resolve()}: "
               f"{m.getNumRules()} rules, {m.getNumParameters()} parameters, "
               f"{m.getNumEvents()} events, {m.getNumUnitDefinitions()} unit definitions.")
    typer.echo(f"libsbml consistency checks: 0 errors, {len(warnings)} warnings (units that "
               "cannot be fully checked, e.g. literal numbers without units).")

