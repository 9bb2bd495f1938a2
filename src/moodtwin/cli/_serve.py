"""Command ``moodtwin serve``: the local web app and HTTP API (extra ``moodtwin[web]``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moodtwin import DISCLAIMER
from moodtwin.cli._app import app, errors_as_one_line, say


@app.command(help="Start the local web app and documented HTTP API (pages for simulation, "
                  "virtual trials, validation, personal twins and the model; OpenAPI at "
                  "/docs). Binds 127.0.0.1 and prints a URL with a random access token.")
@errors_as_one_line
def serve(
    data: Annotated[Path, typer.Option("--data", help="Folder for the job database and "
                                                      "results.", file_okay=False)
                    ] = Path("moodtwin-out/serve"),
    host: Annotated[str, typer.Option(help="Address to bind (default: this computer only).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8765,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes for jobs.")
                       ] = 1,
    examples: Annotated[Path | None, typer.Option(
        help="Folder with protocols/ and trials/ to offer instead of the catalogue shipped "
             "with moodtwin (person/candidates/ in it, if any, too).",
        file_okay=False, show_default=False)] = None,
) -> None:
    from moodtwin.web import serve as run

    typer.echo(DISCLAIMER)
    run(data, host=host, port=port, workers=workers, examples=examples, say=say)
