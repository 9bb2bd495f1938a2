"""The FastAPI application: the documented HTTP API (``/api``, OpenAPI at ``/openapi.json``)
and the pages that use it (``/``, ``/trial``, ``/validation``, ``/person``, ``/model``).

Research software, not medical advice.
"""


import asyncio
import io
import json
import secrets
import shutil
import zipfile
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.responses import StreamingResponse

import moodtwin
from moodtwin import DISCLAIMER
from moodtwin.errors import MoodtwinError, ValidationError
from moodtwin.web._describe import (
    catalogue,
    error_field,
    find_catalogue,
    model_description,
    protocol_form,
)
from moodtwin.web._jobs import Runner, copy_tree
from moodtwin.web._security import (
    Limits,
    extract_zip,
    host_allowed,
    new_token,
    origin_allowed,
    safe_name,
    size_text,
)
from moodtwin.web._store import FINAL, Store
from moodtwin.web._tasks import SHIPPED_SET

PAGES = {"/": "simulate", "/trial": "trial", "/validation": "validation", "/person": "person",
         "/explore": "explore", "/model": "model"}
SEED = Field(None, ge=0, le=2**32 - 1, description="Random seed (same seed, same result).")


class Problem(BaseModel):
    """Every error: one line naming the field, the value and what is allowed."""

    detail: str
    field: str | None = None


class JobRef(BaseModel):
    id: str
    kind: str
    status: str
    url: str


class Job(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
    created: float
    started: float | None
    finished: float | None
    progress: float = Field(description="0-1")
    message: str
    error: str | None
    settings: dict[str, Any]
    result: dict[str, Any] | None
    parent: str | None
    files: list[str] = Field(description="Output files, downloadable from .../files/{name}")
    manifest: dict[str, Any] | None


class SimulateRequest(BaseModel):
    """A protocol as YAML text or as a mapping (the protocol-file format), overrides, seed."""

    protocol_yaml: str | None = Field(None, description="Protocol file text (YAML).")
    protocol: dict[str, Any] | None = Field(None, description="Protocol as a mapping.")
    overrides: dict[str, str | float] = Field(
        default_factory=dict, description="Model parameter overrides NAME: VALUE (a number in "
                                          "the parameter's unit or a quantity like '0.5 d').")
    seed: int | None = SEED


class ProtocolCheck(BaseModel):
    protocol_yaml: str | None = None
    protocol: dict[str, Any] | None = None


class ValidationRequest(BaseModel):
    trials: list[str] | None = Field(None, description="Catalogue trial files (default: all "
                                                       "with published values).")
    replicates: int = Field(1, ge=1)
    seed: int = Field(0, ge=0, le=2**32 - 1)


class Candidate(BaseModel):
    name: str = Field(description="File name for the candidate, e.g. continue_vns.yaml")
    protocol_yaml: str


class ForecastRequest(BaseModel):
    fit_job: str = Field(description="Id of a finished 'fit' job.")
    candidates: list[Candidate] = Field(min_length=1)
    at: str = Field("6w,6mo", description="Times for P(response)/P(remission), e.g. 6w,6mo.")
    draws: int = Field(200, ge=20)
    start: str | None = Field(None, description="Forecast start YYYY-MM-DD (default: the "
                                                "last observation).")
    seed: int = Field(0, ge=0, le=2**32 - 1)


class SensitivityRequest(BaseModel):
    """Global sensitivity (SALib) of a protocol's effect, as ``moodtwin sensitivity``."""

    protocol_yaml: str
    method: Literal["morris", "sobol"] = "morris"
    endpoint: str = Field("madrs_change", description="madrs_change, madrs_percent_change, "
                                                      "madrs or any observable.")
    at: str = Field("6 week", description="Evaluation time(s), comma-separated.")
    parameters: list[str] | None = Field(None, description="Default: the calibratable ones.")
    band: float = Field(0.5, gt=0, le=1, description="Sample within value x (1 +/- band).")
    full_range: bool = False
    samples: int | None = Field(None, ge=2, description="Morris trajectories or Sobol base "
                                                        "samples (a power of 2).")
    seed: int = Field(0, ge=0, le=2**32 - 1)


class OptimizeRequest(BaseModel):
    """Search one therapy's settings, as ``moodtwin optimize`` (default search space)."""

    protocol_yaml: str = Field(description="Base protocol: timing, background, therapies.")
    therapy: str | None = Field(None, description="vns, tavns, ketamine_iv, "
                                                  "esketamine_nasal or botulinum_glabellar.")
    outcome: str = Field("response", description="response, remission, remission_time or "
                                                 "madrs_reduction.")
    at: str = Field("26 week", description="Horizon.")
    remission_madrs: float = Field(10.0, ge=0, le=60)
    constraints: list[str] = Field(default_factory=list,
                                   description="NAME[:peak|:mean]<=LIMIT side-effect limits.")
    draws: int = Field(32, ge=1)
    holdout: int = Field(32, ge=0)
    trials: int = Field(30, ge=1)
    grid: int = Field(5, ge=0, le=20)
    fit_job: str | None = Field(None, description="A finished 'fit' job: optimize for that "
                                                  "person's posterior draws.")
    seed: int = Field(0, ge=0, le=2**32 - 1)


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


def _problem(status: int, message: object, field: str | None = None) -> JSONResponse:
    text = _one_line(message)
    return JSONResponse({"detail": text, "field": field or error_field(text)}, status_code=status)


def create_app(root: Path, *, token: str | None = None, workers: int = 1,
               allowed_hosts: set[str] | None = None, limits: Limits | None = None,
               examples: Path | None = None, warm: bool = True) -> FastAPI:
    """The app storing jobs under ``root``; ``token`` (default: random) guards work/reads;
    ``examples`` (a folder with protocols/ and trials/) replaces the packaged catalogue;
    ``warm`` starts the worker processes at start-up."""
    limits = limits or Limits()
    store = Store(root)
    runner = Runner(store, workers)
    token = token or new_token()
    hosts = {"127.0.0.1", "localhost", "::1", "[::1]"} | (allowed_hosts or set())
    cat = find_catalogue(examples)

    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        store.mark_interrupted()
        if warm:
            runner.warm()
        yield
        runner.shutdown()

    app = FastAPI(
        title="moodtwin API",
        version=moodtwin.__version__,
        summary="Simulations, virtual trials, validation and personal twins of moodtwin. "
                + DISCLAIMER,
        description=(
            "Work runs as **jobs** in worker processes: a POST returns a job reference "
            "(HTTP 202); poll `GET /api/jobs/{id}` or stream `GET /api/jobs/{id}/events` "
            "(server-sent events) until `status` is final, then download the files. "
            "Requests that start work, write, or read jobs need the token printed by "
            "`moodtwin serve` (`Authorization: Bearer <token>`, or `?token=` on downloads). "
            "Errors are `{detail, field}` with one line naming the field. " + DISCLAIMER),
        lifespan=lifespan,
        responses={422: {"model": Problem}},
        docs_url=None, redoc_url=None,  # /docs below serves Swagger UI from a package
    )
    app.state.store, app.state.runner, app.state.token = store, runner, token
    app.state.limits = limits

    # ------------------------------------------------------------------ middleware / errors
    @app.middleware("http")
    async def guard(request: Request, call_next):  # type: ignore[no-untyped-def]
        host = request.headers.get("host")
        if not host_allowed(host, hosts):
            return _problem(403, f"Host {host!r} is not this server; open it at 127.0.0.1 or "
                                 "localhost (DNS-rebinding protection).", "host")
        if not origin_allowed(request.headers.get("origin"), host, hosts):
            return _problem(403, f"Origin {request.headers.get('origin')!r} may not use this "
                                 "server (cross-site request refused).", "origin")
        size = request.headers.get("content-length")
        if size is not None and size.isdigit() and int(size) > limits.upload_bytes:
            return _problem(413, f"upload of {size_text(int(size))} is larger than this "
                                 f"server's limit of {size_text(limits.upload_bytes)}.",
                            "upload")
        return await call_next(request)

    @app.exception_handler(MoodtwinError)
    async def _moodtwin_error(_: Request, exc: MoodtwinError) -> JSONResponse:
        return _problem(422, exc)

    @app.exception_handler(RequestValidationError)
    async def _request_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        err = exc.errors()[0]
        loc = [str(x) for x in err["loc"] if x not in ("body", "query", "path", "form")]
        where = ".".join(loc) or "request"
        got = err.get("input")
        shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
        more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
        return _problem(422, f"{where}: {err['msg']}; got {shown[:80]}.{more}", where)

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return _problem(exc.status_code, exc.detail, None)

    bearer = HTTPBearer(auto_error=False, description="The token printed by 'moodtwin serve'.")

    def need_token(request: Request, cred: Annotated[
            HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> None:
        given = cred.credentials if cred is not None else request.query_params.get("token")
        if not given or not secrets.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "token: missing or wrong; use the token printed by "
                                     "'moodtwin serve' (Authorization: Bearer <token>).")

    Auth = Depends(need_token)
    err = {401: {"model": Problem}, 404: {"model": Problem}, 413: {"model": Problem}}

    # ------------------------------------------------------------------ helpers
    def job_or_404(job_id: str) -> dict[str, Any]:
        job = store.get(job_id) if job_id.isalnum() else None
        if job is None:
            raise HTTPException(404, f"job: no job {job_id!r}.")
        return job

    def job_view(job: dict[str, Any]) -> dict[str, Any]:
        folder = store.folder(job["id"])
        out = folder / "outputs"
        files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
        man = folder / "manifest.json"
        return {**job, "files": files,
                "manifest": json.loads(man.read_text()) if man.exists() else None}

    def start(kind: str, settings: dict[str, Any], fill: Any,
              parent: str | None = None) -> JSONResponse:
        job_id = store.create(kind, settings, parent)
        try:
            fill(store.folder(job_id) / "inputs")
        except BaseException:
            shutil.rmtree(store.folder(job_id), ignore_errors=True)
            store.update(job_id, status="failed", error="inputs refused")
            raise
        runner.submit(job_id)
        return JSONResponse({"id": job_id, "kind": kind, "status": "queued",
                             "url": f"/api/jobs/{job_id}"}, status_code=202)

    def parse_yaml(text: str, source: str) -> Any:
        if len(text) > limits.yaml_chars:
            raise ValidationError(f"{source}: {len(text)} characters; at most "
                                  f"{limits.yaml_chars} allowed.")
        from moodtwin.yaml_files import yaml_problem

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValidationError(f"{source}: not valid YAML: {yaml_problem(exc)}.") from None

    def protocol_text(body: SimulateRequest | ProtocolCheck) -> str:
        from moodtwin.protocols import parse_protocol

        if (body.protocol_yaml is None) == (body.protocol is None):
            raise ValidationError("protocol: give exactly one of 'protocol_yaml' (YAML text) "
                                  "or 'protocol' (a mapping).")
        if body.protocol_yaml is not None:
            text = body.protocol_yaml
            data = parse_yaml(text, "protocol")
        else:
            data = body.protocol
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        parse_protocol(data, "protocol")
        return text

    async def read_upload(f: UploadFile, field: str) -> bytes:
        data = await f.read(limits.upload_bytes + 1)
        if len(data) > limits.upload_bytes:
            raise HTTPException(413, f"{field}: file {f.filename!r} is larger than this "
                                     f"server's limit of {size_text(limits.upload_bytes)}.")
        return data

    def catalogue_files() -> dict[str, Path]:
        return {p.name: p for p in sorted(cat.trials.glob("*.yaml"))}

    def copy_catalogue_protocols(inputs: Path) -> None:
        shutil.copytree(cat.protocols, inputs / "protocols", dirs_exist_ok=True)

    # ------------------------------------------------------------------ read-only API
    @app.get("/api/info", tags=["about"])
    def info() -> dict[str, Any]:
        """Version, disclaimer, parameter set and the server's limits."""
        return {"moodtwin_version": moodtwin.__version__, "disclaimer": DISCLAIMER,
                "parameter_set": SHIPPED_SET, "limits": limits.__dict__,
                "catalogue": {k: str(v) if v else None for k, v in cat.__dict__.items()}}

    @app.get("/api/protocol-form", tags=["protocols"])
    def get_protocol_form() -> dict[str, Any]:
        """Therapy types and their fields with units and device/dose limits (from the
        protocol schema)."""
        return protocol_form()

    @app.post("/api/protocols/check", tags=["protocols"], responses=err)
    def check_protocol(body: ProtocolCheck) -> dict[str, Any]:
        """Validate a protocol; returns its YAML text, or a one-line error naming the field."""
        return {"ok": True, "protocol_yaml": protocol_text(body)}

    @app.get("/api/catalogue", tags=["about"])
    def get_catalogue() -> dict[str, Any]:
        """Shipped example protocols, trials (with how many published values) and person
        candidates."""
        return catalogue(cat)

    @app.get("/api/model", tags=["model"])
    def get_model() -> dict[str, Any]:
        """States, derived quantities, parameters (value, unit, range, provenance), inputs,
        equations (MathML) and which parameters each therapy touches."""
        return model_description()

    # ------------------------------------------------------------------ jobs: start
    @app.post("/api/simulate", tags=["jobs"], status_code=202, response_model=JobRef,
              dependencies=[Auth], responses=err)
    def simulate(body: SimulateRequest) -> JSONResponse:
        """Simulate the reference patient under a protocol (as ``moodtwin simulate``)."""
        from moodtwin import ParameterSet
        from moodtwin.cli._core import _parse_params
        from moodtwin.simulation import parameter_table

        text = protocol_text(body)
        overrides = _parse_params([f"{k}={v}" for k, v in body.overrides.items()])
        parameter_table(overrides, ParameterSet.calibrated().model)  # names and ranges, as the CLI
        settings = {"overrides": {k: str(v) for k, v in body.overrides.items()},
                    "seed": body.seed}
        return start("simulate", settings,
                     lambda d: (d / "protocol.yaml").write_text(text))

    @app.post("/api/trials", tags=["jobs"], status_code=202, response_model=JobRef,
              dependencies=[Auth], responses=err)
    async def trial(
        trial: Annotated[str | None, Form(description="Catalogue trial file name.")] = None,
        file: Annotated[UploadFile | None, File(description="Or a trial file (YAML); "
                        "protocol paths may point into the catalogue (../protocols/...).")
                        ] = None,
        n: Annotated[int | None, Form(ge=2, description="Randomized patients.")] = None,
        replicates: Annotated[int, Form(ge=1)] = 1,
        seed: Annotated[int, Form(ge=0, le=2**32 - 1)] = 0,
    ) -> JSONResponse:
        """Run a virtual trial (as ``moodtwin trial``)."""
        from moodtwin.trials import parse_trial

        if (trial is None) == (file is None):
            raise ValidationError("trial: choose a catalogue trial or upload a trial file "
                                  "(exactly one).")
        if replicates > limits.trial_replicates:
            raise ValidationError(f"replicates: {replicates} is above this server's limit "
                                  f"{limits.trial_replicates}.")
        if trial is not None:
            files = catalogue_files()
            if trial not in files:
                raise ValidationError(f"trial: {trial!r} is not in the catalogue; known: "
                                      f"{', '.join(files) or 'none'}.")
            text, name = files[trial].read_text(), trial
        else:
            name = safe_name(file.filename, "file")  # type: ignore[union-attr]
            if not name.endswith((".yaml", ".yml")):
                raise ValidationError(f"file: {name!r} is not a YAML file (.yaml).")
            raw = await read_upload(file, "file")  # type: ignore[arg-type]
            text = raw.decode("utf-8", errors="replace")
        spec = parse_trial(parse_yaml(text, name), cat.trials, name)
        patients = (n or spec.n or 0) * replicates
        if patients > limits.trial_patients:
            raise ValidationError(f"n: {n or spec.n} patients x {replicates} replicate(s) = "
                                  f"{patients} is above this server's job-size limit of "
                                  f"{limits.trial_patients} patients; lower n or replicates "
                                  "(or use the CLI).")

        def fill(d: Path) -> None:
            (d / "trials").mkdir()
            (d / "trials" / name).write_text(text)
            copy_catalogue_protocols(d)

        return start("trial", {"trial_file": name, "n": n, "replicates": replicates,
                               "seed": seed}, fill)

    @app.post("/api/validations", tags=["jobs"], status_code=202, response_model=JobRef,
              dependencies=[Auth], responses=err)
    def validation(body: ValidationRequest) -> JSONResponse:
        """Run catalogue trials with published values and compare (as ``moodtwin
        validate``)."""
        from moodtwin.calibration import collect_targets

        if body.replicates > limits.validate_replicates:
            raise ValidationError(f"replicates: {body.replicates} is above this server's "
                                  f"limit {limits.validate_replicates}.")
        files = catalogue_files()
        names = body.trials if body.trials is not None else [
            k for k, p in files.items() if collect_targets([p])]
        unknown = [t for t in names if t not in files]
        if unknown or not names:
            raise ValidationError(f"trials: {unknown or names!r} not in the catalogue; known: "
                                  f"{', '.join(files) or 'none'}.")

        def fill(d: Path) -> None:
            (d / "trials").mkdir()
            for t in names:
                shutil.copy(files[t], d / "trials" / t)
            copy_catalogue_protocols(d)

        return start("validate", {"trial_files": names, "replicates": body.replicates,
                                  "seed": body.seed}, fill)

    @app.post("/api/person/fits", tags=["jobs"], status_code=202, response_model=JobRef,
              dependencies=[Auth], responses=err)
    async def person_fit(
        files: Annotated[list[UploadFile], File(description="A person folder as one .zip, or "
                         "the files: person.yaml, treatments.yaml, scores.csv, labs.csv and "
                         "heart recordings (YYYY-MM-DD_rr.csv / _ecg.csv).")],
        steps: Annotated[int, Form(ge=20)] = 700,
        burn: Annotated[int, Form(ge=0)] = 300,
        walkers: Annotated[int | None, Form(ge=2)] = None,
        seed: Annotated[int, Form(ge=0, le=2**32 - 1)] = 0,
    ) -> JSONResponse:
        """Load a person's record (data report) and fit their parameters (as ``moodtwin
        fit``)."""
        if steps > limits.fit_steps:
            raise ValidationError(f"steps: {steps} is above this server's limit "
                                  f"{limits.fit_steps}.")
        if walkers is not None and walkers > limits.fit_walkers:
            raise ValidationError(f"walkers: {walkers} is above this server's limit "
                                  f"{limits.fit_walkers}.")
        if not 0 <= burn < steps:
            raise ValidationError(f"burn: {burn} must be in [0, steps) with steps = {steps}.")
        uploads = [(safe_name(f.filename, "files"), await read_upload(f, "files"))
                   for f in files]
        if sum(len(b) for _, b in uploads) > limits.upload_bytes:
            raise HTTPException(413, "files: the uploads together are larger than this "
                                     f"server's limit of {size_text(limits.upload_bytes)}.")

        def fill(d: Path) -> None:
            person = d / "person"
            person.mkdir()
            for name, data in uploads:
                if name.lower().endswith(".zip"):
                    extract_zip(data, person, limits, "files")
                elif name in ("person.yaml", "person.yml", "person.json", "treatments.yaml",
                              "treatments.yml", "treatments.json", "scores.csv", "labs.csv"):
                    (person / name).write_bytes(data)
                elif name.lower().endswith(".csv"):
                    (person / "heart").mkdir(exist_ok=True)
                    (person / "heart" / name).write_bytes(data)
                else:
                    raise ValidationError(f"files: {name!r} is not part of a person record "
                                          "(see examples/person/README.md).")
            for need in ("person", "treatments"):
                if not any((person / f"{need}.{e}").exists() for e in ("yaml", "yml", "json")):
                    raise ValidationError(f"files: {need}.yaml is missing from the upload.")

        return start("fit", {"steps": steps, "burn": burn, "walkers": walkers, "seed": seed},
                     fill)

    @app.post("/api/person/forecasts", tags=["jobs"], status_code=202, response_model=JobRef,
              dependencies=[Auth], responses=err)
    def person_forecast(body: ForecastRequest) -> JSONResponse:
        """Forecast candidate protocols for a fitted person (as ``moodtwin forecast``)."""
        from moodtwin.protocols import parse_protocol
        from moodtwin.units import times as parse_times

        fit = job_or_404(body.fit_job)
        if fit["kind"] != "fit" or fit["status"] != "done":
            raise ValidationError(f"fit_job: job {body.fit_job!r} is not a finished fit.")
        if body.draws > limits.forecast_draws:
            raise ValidationError(f"draws: {body.draws} is above this server's limit "
                                  f"{limits.forecast_draws}.")
        if len(body.candidates) > limits.forecast_candidates:
            raise ValidationError(f"candidates: {len(body.candidates)} given; at most "
                                  f"{limits.forecast_candidates} allowed.")
        parse_times(body.at, "at", 1e-6)  # as 'moodtwin forecast --at'
        if body.start is not None:
            import datetime as dt

            try:
                dt.date.fromisoformat(body.start)
            except ValueError:
                raise ValidationError(f"start: {body.start!r} is not a date (YYYY-MM-DD)."
                                      ) from None
        names = []
        for i, c in enumerate(body.candidates):
            name = safe_name(c.name, f"candidates[{i}].name")
            name = name if name.endswith((".yaml", ".yml")) else name + ".yaml"
            if name in names:
                raise ValidationError(f"candidates[{i}].name: {name!r} given twice.")
            parse_protocol(parse_yaml(c.protocol_yaml, f"candidates[{i}]"), f"candidates[{i}]")
            names.append(name)
        src = store.folder(fit["id"])

        def fill(d: Path) -> None:
            copy_tree(src / "inputs" / "person", d / "person")
            copy_tree(src / "outputs" / "fit", d / "fit")
            (d / "candidates").mkdir()
            for name, c in zip(names, body.candidates, strict=True):
                (d / "candidates" / name).write_text(c.protocol_yaml)

        return start("forecast", {"fit_job": fit["id"], "candidates": names, "at": body.at,
                                  "draws": body.draws, "start": body.start,
                                  "seed": body.seed}, fill, parent=fit["id"])

    @app.post("/api/sensitivity", tags=["jobs"], status_code=202, response_model=JobRef,
              dependencies=[Auth], responses=err)
    def sensitivity(body: SensitivityRequest) -> JSONResponse:
        """Morris or Sobol sensitivity of a protocol's effect (as ``moodtwin
        sensitivity``)."""
        from moodtwin import ParameterSet, parse_protocol
        from moodtwin.sensitivity_analysis import check_request, choose_factors, parse_times

        spec = parse_protocol(parse_yaml(body.protocol_yaml, "protocol"), "protocol")
        parse_times(body.at, spec)
        model = ParameterSet.calibrated().model
        n = check_request(body.method, body.samples, body.endpoint, model)
        k = len(choose_factors(model, body.parameters, None if body.full_range else body.band))
        runs = n * (k + (1 if body.method == "morris" else 2))
        if runs > limits.sensitivity_runs:
            raise ValidationError(f"samples: {n} x ({k} parameters + "
                                  f"{1 if body.method == 'morris' else 2}) = {runs} runs is "
                                  f"above this server's job-size limit of "
                                  f"{limits.sensitivity_runs}; lower samples or parameters.")
        settings = body.model_dump(exclude={"protocol_yaml"})
        return start("sensitivity", settings,
                     lambda d: (d / "protocol.yaml").write_text(body.protocol_yaml))

    @app.post("/api/optimizations", tags=["jobs"], status_code=202, response_model=JobRef,
              dependencies=[Auth], responses=err)
    def optimization(body: OptimizeRequest) -> JSONResponse:
        """Search a therapy's settings for a virtual population or a fitted person (as
        ``moodtwin optimize``)."""
        from moodtwin import ParameterSet, parse_protocol
        from moodtwin.optimize import Constraint, Outcome, therapy_to_tune

        base = parse_protocol(parse_yaml(body.protocol_yaml, "protocol"), "protocol")
        model = ParameterSet.calibrated().model
        therapy_to_tune(base, body.therapy)
        Outcome(body.outcome, body.at, body.remission_madrs)
        for i, c in enumerate(body.constraints):
            try:
                Constraint.parse(c, model)
            except MoodtwinError as exc:
                raise ValidationError(f"constraints[{i}]: {exc}") from None
        sims = body.trials * body.draws + 2 * body.holdout + body.grid ** 2 * body.draws
        if sims > limits.optimize_simulations:
            raise ValidationError(f"trials: {body.trials} trials x {body.draws} draws (+ "
                                  f"holdout and grid) = {sims} simulations is above this "
                                  f"server's job-size limit of {limits.optimize_simulations}.")
        fit = None
        if body.fit_job is not None:
            fit = job_or_404(body.fit_job)
            if fit["kind"] != "fit" or fit["status"] != "done":
                raise ValidationError(f"fit_job: job {body.fit_job!r} is not a finished fit.")

        def fill(d: Path) -> None:
            (d / "protocol.yaml").write_text(body.protocol_yaml)
            if fit is not None:
                copy_tree(store.folder(fit["id"]) / "outputs" / "fit", d / "fit")

        return start("optimize", body.model_dump(exclude={"protocol_yaml"}), fill,
                     parent=fit["id"] if fit else None)

    # ------------------------------------------------------------------ jobs: read / control
    @app.get("/api/jobs", tags=["jobs"], dependencies=[Auth], responses=err)
    def list_jobs(kind: Annotated[str | None, Query(
            description="Only jobs of this kind (simulate, trial, validate, fit, forecast, "
                        "sensitivity, optimize).", max_length=20)] = None,
            limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[Job]:
        """The latest jobs, newest first."""
        return [Job(**job_view(j)) for j in store.list(limit, kind)]

    @app.get("/api/jobs/{job_id}", tags=["jobs"], dependencies=[Auth], responses=err)
    def get_job(job_id: str) -> Job:
        """State, progress, result summary, files and manifest of a job."""
        return Job(**job_view(job_or_404(job_id)))

    @app.get("/api/jobs/{job_id}/events", tags=["jobs"], dependencies=[Auth], responses=err,
             response_class=StreamingResponse)
    async def job_events(job_id: str) -> StreamingResponse:
        """Server-sent events: one ``data: {status, progress, message}`` line per change,
        until the job is final."""
        job_or_404(job_id)

        async def stream():  # type: ignore[no-untyped-def]
            last = None
            while True:
                job = store.get(job_id) or {}
                now = {k: job.get(k) for k in ("status", "progress", "message", "error")}
                if now != last:
                    yield f"data: {json.dumps(now)}\n\n"
                    last = now
                if now["status"] in FINAL:
                    return
                await asyncio.sleep(0.4)

        return StreamingResponse(stream(), media_type="text/event-stream")

    @app.post("/api/jobs/{job_id}/cancel", tags=["jobs"], dependencies=[Auth], responses=err)
    def cancel_job(job_id: str) -> Job:
        """Cancel a queued or running job (a running one stops at its next progress step)."""
        job_or_404(job_id)
        runner.cancel(job_id)
        return Job(**job_view(job_or_404(job_id)))

    @app.post("/api/jobs/{job_id}/rerun", tags=["jobs"], status_code=202,
              response_model=JobRef, dependencies=[Auth], responses=err)
    def rerun_job(job_id: str) -> JSONResponse:
        """Run a job again with the same inputs and settings (same seed, same result)."""
        job = job_or_404(job_id)
        src = store.folder(job_id) / "inputs"
        return start(job["kind"], job["settings"], lambda d: copy_tree(src, d),
                     parent=job["parent"])

    @app.get("/api/jobs/{job_id}/files/{name:path}", tags=["jobs"], dependencies=[Auth],
             responses=err, response_class=Response)
    def job_file(job_id: str, name: str) -> Response:
        """One output file. CSV and YAML get the disclaimer as a first '#' comment line."""
        job = job_or_404(job_id)
        out = store.folder(job["id"]) / "outputs"
        files = {p.relative_to(out).as_posix(): p for p in out.rglob("*") if p.is_file()}
        if name not in files:
            raise HTTPException(404, f"file: job {job_id} has no output {name!r}.")
        path = files[name]
        # results may carry user text (names in reports): never run them in this origin
        safe = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}
        if path.suffix in (".csv", ".yaml", ".txt"):
            body = f"# {DISCLAIMER}\n".encode() + path.read_bytes()
            media = "text/csv" if path.suffix == ".csv" else "text/plain"
            return Response(body, media_type=media, headers={
                **safe, "Content-Disposition": f'attachment; filename="{path.name}"'})
        return FileResponse(path, headers=safe, content_disposition_type="attachment",
                            filename=path.name if path.suffix != ".json" else None)

    @app.get("/api/jobs/{job_id}/protocol.yaml", tags=["jobs"], dependencies=[Auth],
             responses=err, response_class=Response)
    def job_protocol(job_id: str) -> Response:
        """The protocol a simulation used (YAML, with the disclaimer as a comment)."""
        job = job_or_404(job_id)
        path = store.folder(job["id"]) / "inputs" / "protocol.yaml"
        if not path.exists():
            raise HTTPException(404, f"file: job {job_id} has no protocol.")
        return Response(f"# {DISCLAIMER}\n".encode() + path.read_bytes(),
                        media_type="application/yaml", headers={
                            "Content-Disposition": 'attachment; filename="protocol.yaml"'})

    @app.get("/api/jobs/{job_id}/bundle", tags=["jobs"], dependencies=[Auth], responses=err,
             response_class=Response)
    def job_bundle(job_id: str) -> Response:
        """Reproducible bundle (zip): inputs, manifest.json (with the equivalent CLI command),
        outputs and DISCLAIMER.txt."""
        job = job_or_404(job_id)
        folder = store.folder(job["id"])
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("DISCLAIMER.txt", DISCLAIMER + "\n")
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    zf.write(p, p.relative_to(folder).as_posix())
        return Response(buf.getvalue(), media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="moodtwin-{job["kind"]}-{job_id}.zip"'})

    # ------------------------------------------------------------------ pages and assets
    static = resources.files("moodtwin.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        import plotly

        return FileResponse(Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
                            media_type="text/javascript")

    import swagger_ui_bundle
    from fastapi.openapi.docs import get_swagger_ui_html

    app.mount("/vendor/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
              name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI for the OpenAPI document, from the installed swagger-ui-bundle."""
        return get_swagger_ui_html(openapi_url="/openapi.json", title="moodtwin API",
                                   swagger_js_url="/vendor/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/vendor/swagger/swagger-ui.css",
                                   swagger_favicon_url="/vendor/swagger/favicon-32x32.png")

    def page(name: str) -> HTMLResponse:
        shell = (static / "page.html").read_text()
        body = (static / f"{name}.html").read_text()
        html = (shell.replace("{{DISCLAIMER}}", DISCLAIMER)
                .replace("{{VERSION}}", moodtwin.__version__)
                .replace("{{PAGE}}", name).replace("{{BODY}}", body))
        return HTMLResponse(html, headers={
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
                                       "style-src 'self' 'unsafe-inline'; script-src 'self' "
                                       "'unsafe-eval'",
            "X-Frame-Options": "DENY"})

    for route, name in PAGES.items():
        app.add_api_route(route, lambda n=name: page(n), include_in_schema=False,
                          response_class=HTMLResponse)
    return app
