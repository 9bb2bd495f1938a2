"""``moodtwin serve``: a local web app and documented HTTP API over the moodtwin library.

Install with ``pip install 'moodtwin[web]'``. Research software, not medical advice.
"""

from __future__ import annotations

from pathlib import Path

from moodtwin.errors import MoodtwinError

INSTALL_HINT = ("the web app needs its extra: pip install 'moodtwin[web]' (FastAPI, uvicorn, "
                "python-multipart, swagger-ui-bundle-v2).")


def _require() -> None:
    try:
        import fastapi  # noqa: F401
        import python_multipart  # noqa: F401  (form uploads)
        import swagger_ui_bundle  # noqa: F401  (offline /docs)
        import uvicorn  # noqa: F401
    except ImportError:
        raise MoodtwinError(INSTALL_HINT) from None


def create_app(root: Path, **kwargs):  # type: ignore[no-untyped-def]
    """The FastAPI app storing jobs under ``root`` (see :mod:`moodtwin.web._app`)."""
    _require()
    from moodtwin.web._app import create_app as make

    return make(root, **kwargs)


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8765, workers: int = 1,
          token: str | None = None, examples: Path | None = None,
          say=print) -> None:  # type: ignore[no-untyped-def]
    """Run the server until interrupted; prints the URL with its access token."""
    _require()
    import uvicorn

    from moodtwin.web._security import new_token

    token = token or new_token()
    hosts = {host} if host not in ("0.0.0.0", "::") else set()  # noqa: S104
    app = create_app(root, token=token, workers=workers, allowed_hosts=hosts,
                     examples=examples)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    say(f"moodtwin serve: jobs and results in {Path(root).resolve()}")
    say("Open this URL (the token is needed to run and read jobs):")
    say(f"    http://{shown}:{port}/?token={token}")
    say(f"API documentation: http://{shown}:{port}/docs")
    uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["INSTALL_HINT", "create_app", "serve"]
