"""The HTTP API with FastAPI's TestClient: every endpoint, bad input, token, limits, jobs.

Results must equal the CLI's for the same inputs, bit for bit.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from conftest import AUTH, ROOT, TOKEN
from typer.testing import CliRunner

from moodtwin import DISCLAIMER
from moodtwin.cli import app

KETAMINE = (ROOT / "examples/protocols/ketamine_single_iv.yaml").read_text()
cli = CliRunner()


def strip_disclaimer(body: bytes) -> bytes:
    first, rest = body.split(b"\n", 1)
    assert first == f"# {DISCLAIMER}".encode()
    return rest


def simulate(client, **body):
    r = client.post("/api/simulate", json=body, headers=AUTH)
    assert r.status_code == 202, r.text
    return r.json()["id"]


# ---------------------------------------------------------------------------- pages, read-only
def test_pages_assets_and_read_only_api_need_no_token(client):
    assert "/vendor/swagger/swagger-ui-bundle.js" in client.get("/docs").text
    for path in ("/", "/trial", "/validation", "/person", "/explore", "/model"):
        r = client.get(path)
        assert r.status_code == 200 and DISCLAIMER in r.text and "not medical advice" in r.text
        assert "/vendor/plotly.min.js" in r.text and "cdn" not in r.text.lower()
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    assert client.get("/static/app.js").status_code == 200
    info = client.get("/api/info").json()
    assert info["disclaimer"] == DISCLAIMER and info["moodtwin_version"]


def test_openapi_documents_every_endpoint_with_bearer_security(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/simulate", "/api/trials", "/api/validations", "/api/person/fits",
            "/api/person/forecasts", "/api/jobs/{job_id}", "/api/jobs/{job_id}/cancel",
            "/api/jobs/{job_id}/rerun", "/api/jobs/{job_id}/bundle",
            "/api/jobs/{job_id}/events", "/api/model", "/api/protocol-form"} <= paths
    assert spec["paths"]["/api/simulate"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in spec["paths"]["/api/model"]["get"]


def test_protocol_form_shows_schema_limits_and_units(client):
    from moodtwin.protocols._schema import ESKETAMINE_DOSES_MG, LIMITS

    form = client.get("/api/protocol-form").json()
    for key, (unit, low, high) in LIMITS.items():
        kind, field = key.split(".")
        if field == "total":
            continue
        f = next(x for x in form["therapies"][kind]["fields"] if x["name"] == field)
        assert (f["unit"], f["low"], f["high"]) == (unit, low, high), key
    esk = next(x for x in form["therapies"]["esketamine_nasal"]["fields"] if x["name"] == "dose")
    assert esk["allowed"] == list(ESKETAMINE_DOSES_MG)
    sites = next(x for x in form["therapies"]["botulinum_glabellar"]["fields"]
                 if x["name"] == "sites")
    assert (sites["low"], sites["high"]) == (1, 7)


def test_model_browser_data(client):
    from moodtwin import ParameterSet

    m = client.get("/api/model").json()
    model = ParameterSet.calibrated().model
    assert len(m["parameters"]) == len(model.parameters)
    for p in m["parameters"]:
        assert p["unit"] and p["source"] and p["low"] <= p["value"] <= p["high"]
    assert all(s["equation"].startswith("<math") for s in m["states"] + m["derived"])
    assert '<mi mathvariant="normal">tau_LC</mi>' in next(
        s for s in m["states"] if s["name"] == "LC_gain")["equation"]
    names = {p.name for p in model.parameters}
    ket = m["therapies"]["ketamine_iv"]
    assert {"ket_CL", "w_expect"} <= set(ket["parameters"]) <= names  # PK and expectancy
    assert "ketamine_rate" in ket["inputs"] and "ketamine_pk" in ket["mechanisms"]
    assert "vns_current" in m["therapies"]["vns"]["inputs"]
    esk = m["therapies"]["esketamine_nasal"]  # its timeline reads the nasal absorbed fraction
    assert "esk_FRn" in esk["compiler_reads"] and set(esk["compiler_reads"]) <= set(
        esk["parameters"])
    assert esk["states_jumped"] == ["esk_nasal", "esk_swallowed"]


def test_catalogue_lists_examples(client):
    cat = client.get("/api/catalogue").json()
    assert any(t["file"] == "ketamine_murrough2013.yaml" and t["published"] == 4
               for t in cat["trials"])
    assert any(p["file"] == "ketamine_single_iv.yaml" for p in cat["protocols"])
    assert len(cat["candidates"]) >= 2


def test_catalogue_defaults_to_the_packaged_one(tmp_path, monkeypatch):
    from moodtwin.catalogue import protocol_catalogue, trial_catalogue
    from moodtwin.errors import ValidationError
    from moodtwin.web._describe import catalogue, find_catalogue

    monkeypatch.chdir(tmp_path)  # no ./examples here
    cat = find_catalogue()
    assert (cat.protocols, cat.trials) == (protocol_catalogue(), trial_catalogue())
    listed = catalogue(cat)
    assert {t["file"] for t in listed["trials"]} == {p.name for p in trial_catalogue().glob(
        "*.yaml")}
    with pytest.raises(ValidationError, match="has no protocols/ folder"):
        find_catalogue(tmp_path)


# ---------------------------------------------------------------------------- security
def test_token_needed_to_start_write_or_read_jobs(client):
    body = {"protocol_yaml": KETAMINE}
    assert client.post("/api/simulate", json=body).status_code == 401
    bad = client.post("/api/simulate", json=body, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["field"] == "token"
    assert client.get("/api/jobs").status_code == 401
    assert client.post("/api/trials", data={"trial": "x.yaml"}).status_code == 401
    assert client.get("/api/jobs", params={"token": TOKEN}).status_code == 200


def test_host_and_origin_checks_against_dns_rebinding(client):
    r = client.get("/api/info", headers={"Host": "evil.example:8765"})
    assert r.status_code == 403 and r.json()["field"] == "host"
    r = client.post("/api/simulate", json={"protocol_yaml": KETAMINE},
                    headers={**AUTH, "Origin": "http://evil.example"})
    assert r.status_code == 403 and r.json()["field"] == "origin"
    ok = client.get("/api/info", headers={"Origin": "http://testserver"})
    assert ok.status_code == 200


def test_oversize_upload_is_refused_with_a_clear_message(tmp_path):
    from fastapi.testclient import TestClient

    from moodtwin.web import create_app
    from moodtwin.web._security import Limits

    app = create_app(tmp_path, token=TOKEN, allowed_hosts={"testserver"},
                     limits=Limits(upload_bytes=100_000), warm=False)
    with TestClient(app) as c:
        r = c.post("/api/person/fits", files={"files": ("scores.csv", b"x" * 200_000)},
                   headers=AUTH)
        assert r.status_code == 413
        assert "limit of 97.7 kB" in r.json()["detail"] and "larger" in r.json()["detail"]


def test_zip_entries_cannot_leave_the_job_folder(client, tmp_path):
    from moodtwin.errors import ValidationError
    from moodtwin.web._security import Limits, extract_zip

    for evil in ("../escape.csv", "/etc/escape.csv", "a/../../escape.csv"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("person.yaml", "id: x\n")
            zf.writestr(evil, "1")
        with pytest.raises(ValidationError, match="outside its folder"):
            extract_zip(buf.getvalue(), tmp_path / "dest", Limits(), "files")
        r = client.post("/api/person/fits", files={"files": ("p.zip", buf.getvalue())},
                        headers=AUTH)
        assert r.status_code == 422 and "outside its folder" in r.json()["detail"]
    assert not list(tmp_path.rglob("escape.csv"))
    bad_name = client.post("/api/person/fits", files={"files": ("../scores.csv", b"a")},
                           headers=AUTH)
    assert bad_name.status_code in (200, 202, 422)
    assert not (ROOT / "scores.csv").exists()


# ---------------------------------------------------------------------------- bad input
def test_bad_protocol_gives_the_cli_one_line_error_naming_the_field(client, tmp_path):
    text = KETAMINE.replace("0.5 mg/kg", "3 mg/kg")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    res = cli.invoke(app, ["simulate", str(path), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    cli_line = res.output.strip().splitlines()[-1].removeprefix(f"error: {path}: ")
    r = client.post("/api/simulate", json={"protocol_yaml": text}, headers=AUTH)
    assert r.status_code == 422
    assert r.json() == {"detail": f"protocol: {cli_line}", "field": "therapies[0].dose"}
    # the same through the form's mapping and the check endpoint
    form = {"name": "f", "duration": "1 week",
            "therapies": [{"type": "vns", "current": "9 mA"}]}
    r = client.post("/api/protocols/check", json={"protocol": form})
    assert r.status_code == 422 and r.json()["field"] == "therapies[0].current"
    assert "3.5" in r.json()["detail"] and "\n" not in r.json()["detail"]


@pytest.mark.parametrize("body, field", [
    ({"protocol_yaml": "name: [unclosed"}, "protocol"),
    ({}, "protocol"),
    ({"protocol_yaml": KETAMINE, "seed": -1}, "seed"),
    ({"protocol_yaml": KETAMINE, "overrides": {"tau_nope": "1"}}, None),
    ({"protocol_yaml": KETAMINE, "overrides": {"tau_dep": "1e9"}}, None),
])
def test_bad_simulate_requests_are_one_line_422(client, body, field):
    r = client.post("/api/simulate", json=body, headers=AUTH)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert "\n" not in detail and "Traceback" not in detail
    if field:
        assert r.json()["field"] == field
    else:
        assert ("tau_nope" in detail) or ("tau_dep" in detail)


@pytest.mark.parametrize("data, field, words", [
    ({"trial": "nope.yaml"}, "trial", "not in the catalogue"),
    ({"trial": "ketamine_murrough2013.yaml", "n": 1}, "n", "greater than or equal to 2"),
    ({"trial": "ketamine_murrough2013.yaml", "n": 5000, "replicates": 50}, "n",
     "job-size limit"),
    ({"trial": "ketamine_murrough2013.yaml", "replicates": "many"}, "replicates", "integer"),
    ({}, "trial", "exactly one"),
])
def test_bad_trial_requests(client, data, field, words):
    r = client.post("/api/trials", data=data, headers=AUTH)
    assert r.status_code == 422 and r.json()["field"] == field and words in r.json()["detail"]


def test_uploaded_trial_with_error_names_the_field(client):
    text = (ROOT / "examples/trials/ketamine_murrough2013.yaml").read_text().replace(
        "scale: MADRS\narms", "scale: MADRZ\narms")
    r = client.post("/api/trials", files={"file": ("mine.yaml", text.encode())}, headers=AUTH)
    assert r.status_code == 422 and "MADRZ" in r.json()["detail"]


def test_unknown_job_and_file_are_404(client):
    assert client.get("/api/jobs/0123456789abcdef", headers=AUTH).status_code == 404
    assert client.get("/api/jobs/../../etc", headers=AUTH).status_code == 404
    assert client.post("/api/jobs/zzz/cancel", headers=AUTH).status_code == 404


# ---------------------------------------------------------------------------- jobs = CLI
def test_simulation_equals_the_cli_bit_for_bit_with_downloads(client, wait, tmp_path):
    job_id = simulate(client, protocol_yaml=KETAMINE, seed=7, overrides={"tau_dep": "12"})
    job = wait(job_id)
    assert job["status"] == "done", job["error"]
    (tmp_path / "p.yaml").write_text(KETAMINE)
    res = cli.invoke(app, ["simulate", str(tmp_path / "p.yaml"), "-o", str(tmp_path / "cli"),
                           "--seed", "7", "-p", "tau_dep=12"])
    assert res.exit_code == 0, res.output
    csv = client.get(f"/api/jobs/{job_id}/files/protocol.csv", headers=AUTH)
    assert strip_disclaimer(csv.content) == (tmp_path / "cli" / "p.csv").read_bytes()
    assert job["result"]["summary"][1] in res.output
    yml = client.get(f"/api/jobs/{job_id}/protocol.yaml", params={"token": TOKEN})
    assert strip_disclaimer(yml.content).decode() == KETAMINE
    png = client.get(f"/api/jobs/{job_id}/files/protocol.png", headers=AUTH)
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    fig = client.get(f"/api/jobs/{job_id}/files/figure.json", headers=AUTH).json()
    assert any("MADRS" in str(t.get("hovertemplate", "")) for t in fig["data"])
    m = job["manifest"]
    assert m["seed"] == 7 and m["moodtwin_version"] and m["disclaimer"] == DISCLAIMER
    assert m["cli"] == "moodtwin simulate inputs/protocol.yaml -o cli-out -p tau_dep=12 --seed 7"
    assert [f["path"] for f in m["input_files"]] == ["inputs/protocol.yaml"]
    bundle = zipfile.ZipFile(io.BytesIO(client.get(f"/api/jobs/{job_id}/bundle",
                                                   headers=AUTH).content))
    names = set(bundle.namelist())
    assert {"DISCLAIMER.txt", "manifest.json", "inputs/protocol.yaml",
            "outputs/protocol.csv"} <= names
    # re-run: same inputs, same seed, same numbers
    again = wait(client.post(f"/api/jobs/{job_id}/rerun", headers=AUTH).json()["id"])
    csv2 = client.get(f"/api/jobs/{again['id']}/files/protocol.csv", headers=AUTH)
    assert again["status"] == "done" and csv2.content == csv.content
    listed = client.get("/api/jobs", headers=AUTH).json()
    assert {job_id, again["id"]} <= {j["id"] for j in listed}


def test_trial_equals_the_cli_bit_for_bit_from_its_bundle(client, wait, tmp_path,
                                                          monkeypatch):
    import shlex

    r = client.post("/api/trials", data={"trial": "ketamine_murrough2013.yaml", "n": 8,
                                         "seed": 3}, headers=AUTH)
    job = wait(r.json()["id"])
    assert job["status"] == "done", job["error"]
    # the bundle's manifest command, run in the unzipped bundle, gives the same files
    bundle = client.get(f"/api/jobs/{job['id']}/bundle", headers=AUTH).content
    zipfile.ZipFile(io.BytesIO(bundle)).extractall(tmp_path)
    monkeypatch.chdir(tmp_path)
    command = json.loads((tmp_path / "manifest.json").read_text())["cli"]
    res = cli.invoke(app, shlex.split(command)[1:])
    assert res.exit_code == 0, res.output
    for name in ("endpoints.csv", "patients.csv"):
        body = client.get(f"/api/jobs/{job['id']}/files/{name}", headers=AUTH).content
        assert strip_disclaimer(body) == (tmp_path / "cli-out" / name).read_bytes(), name
    # and equal the CLI on the catalogue file itself
    res = cli.invoke(app, ["trial", str(ROOT / "examples/trials/ketamine_murrough2013.yaml"),
                           "-o", str(tmp_path / "direct"), "--n", "8", "--seed", "3"])
    assert (tmp_path / "direct" / "endpoints.csv").read_bytes() == (
        tmp_path / "cli-out" / "endpoints.csv").read_bytes()
    report = client.get(f"/api/jobs/{job['id']}/files/report.html", headers=AUTH)
    assert report.headers["content-security-policy"] == "sandbox"  # user text never runs here
    assert report.headers["content-disposition"].startswith("attachment")
    result = job["result"]
    assert [p["published"] for p in result["published"]] == [-16.5, -8.8, 0.64, 0.28]
    assert job["progress"] == 1.0 and result["excluded"] == []
    assert result["outside_calibration"] == []  # a calibration trial lies inside its own set
    assert result["heterogeneity"]["fraction"] > 0 and result["heterogeneity"]["source"]


def test_events_stream_until_final(client, wait):
    job_id = simulate(client, protocol_yaml=KETAMINE)
    with client.stream("GET", f"/api/jobs/{job_id}/events", headers=AUTH) as r:
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1]["status"] == "done" and len(events) >= 2


def test_cancel_queued_and_running_jobs(client, wait):
    big = {"trial": "ketamine_murrough2013.yaml", "n": 400, "replicates": 20}
    first = client.post("/api/trials", data=big, headers=AUTH).json()["id"]
    queued = client.post("/api/trials", data=big, headers=AUTH).json()["id"]
    r = client.post(f"/api/jobs/{queued}/cancel", headers=AUTH)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    for _ in range(200):  # wait until the first is running, then cancel it
        if client.get(f"/api/jobs/{first}", headers=AUTH).json()["progress"] > 0:
            break
        import time

        time.sleep(0.1)
    client.post(f"/api/jobs/{first}/cancel", headers=AUTH)
    job = wait(first, 60)
    assert job["status"] == "cancelled" and job["progress"] < 1.0
    assert wait(queued)["started"] is None


@pytest.mark.slow
def test_a_job_cut_off_by_a_server_stop_is_interrupted_after_restart(tmp_path):
    import time

    from fastapi.testclient import TestClient

    from moodtwin.web import create_app

    big = {"trial": "ketamine_murrough2013.yaml", "n": 400, "replicates": 20}
    make = lambda: create_app(tmp_path, token=TOKEN, allowed_hosts={"testserver"},  # noqa: E731
                              warm=False, examples=ROOT / "examples")
    with TestClient(make()) as c:
        job_id = c.post("/api/trials", data=big, headers=AUTH).json()["id"]
        for _ in range(600):
            if c.get(f"/api/jobs/{job_id}", headers=AUTH).json()["progress"] > 0:
                break
            time.sleep(0.1)
    with TestClient(make()) as c:  # the stop killed the worker; the restart marks the job
        job = c.get(f"/api/jobs/{job_id}", headers=AUTH).json()
        assert job["status"] == "interrupted" and 0 < job["progress"] < 1


def test_interrupted_jobs_are_marked_after_a_restart(tmp_path):
    from fastapi.testclient import TestClient

    from moodtwin.web import create_app
    from moodtwin.web._store import Store

    store = Store(tmp_path)
    running = store.create("trial", {"seed": 0})
    store.update(running, status="running")
    queued = store.create("simulate", {"seed": None})
    done = store.create("simulate", {"seed": None})
    store.update(done, status="done", result={"x": 1})
    app = create_app(tmp_path, token=TOKEN, allowed_hosts={"testserver"}, warm=False)
    with TestClient(app) as c:
        for job_id, status in ((running, "interrupted"), (queued, "interrupted"),
                               (done, "done")):
            job = c.get(f"/api/jobs/{job_id}", headers=AUTH).json()
            assert job["status"] == status
        assert "re-run" in c.get(f"/api/jobs/{running}", headers=AUTH).json()["error"]
        assert c.get(f"/api/jobs/{done}", headers=AUTH).json()["result"] == {"x": 1}
        kinds = {j["kind"] for j in c.get("/api/jobs?kind=trial", headers=AUTH).json()}
        assert kinds == {"trial"}


def test_validation_job_forest_plot(client, wait):
    r = client.post("/api/validations", json={"trials": ["ketamine_murrough2013.yaml"],
                                              "replicates": 1}, headers=AUTH)
    job = wait(r.json()["id"])
    assert job["status"] == "done", job["error"]
    rows = job["result"]["rows"]
    assert [x["published"] for x in rows] == [-16.5, -8.8, 0.64, 0.28]
    assert job["result"]["passed"] == sum(x["pass"] for x in rows)
    z = [x["z"] for x in rows]  # the chi-square is the sum of the rows' z^2
    assert job["result"]["chi_square"] == pytest.approx(sum(v * v for v in z))
    assert job["result"]["dof"] == 4 and 0.0 <= job["result"]["p"] <= 1.0
    assert {"validation.csv", "validation.png", "validation.html"} <= set(job["files"])
    fig = client.get(f"/api/jobs/{job['id']}/files/figure.json", headers=AUTH).json()
    colors = {t["marker"]["color"] for t in fig["data"]}
    assert "black" in colors and colors & {"#2ca02c", "#d62728"}
    bad = client.post("/api/validations", json={"trials": ["nope.yaml"]}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["field"] == "trials"


def _person_zip() -> bytes:
    buf = io.BytesIO()
    folder = ROOT / "examples/person/synthetic_vns"
    with zipfile.ZipFile(buf, "w") as zf:
        for p in folder.rglob("*"):
            if p.is_file():
                zf.write(p, "synthetic_vns/" + p.relative_to(folder).as_posix())
    return buf.getvalue()


@pytest.mark.slow
def test_person_fit_equals_cli_and_forecast(client, wait, tmp_path):
    r = client.post("/api/person/fits", files={"files": ("person.zip", _person_zip())},
                    data={"steps": 30, "burn": 10, "seed": 1}, headers=AUTH)
    assert r.status_code == 202, r.text
    fit = wait(r.json()["id"])
    assert fit["status"] == "done", fit["error"]
    assert "scores.csv: 67 valid row(s) used" in fit["result"]["data_report"]
    res = cli.invoke(app, ["fit", str(ROOT / "examples/person/synthetic_vns"), "-o",
                           str(tmp_path), "--steps", "30", "--burn", "10", "--seed", "1"])
    assert res.exit_code == 0, res.output
    web = client.get(f"/api/jobs/{fit['id']}/files/fit/posterior_draws.csv", headers=AUTH)
    assert strip_disclaimer(web.content) == (tmp_path / "posterior_draws.csv").read_bytes()
    cand = (ROOT / "examples/person/candidates/continue_vns.yaml").read_text()
    r = client.post("/api/person/forecasts", json={
        "fit_job": fit["id"], "candidates": [{"name": "continue_vns", "protocol_yaml": cand}],
        "draws": 20}, headers=AUTH)
    fc = wait(r.json()["id"])
    assert fc["status"] == "done", fc["error"]
    outcome = fc["result"]["candidates"][0]["outcomes"]
    assert [o["at"] for o in outcome] == ["6w", "6mo"]
    assert all(0.0 <= o["P_response_MADRS"] <= 1.0 for o in outcome)
    bad = client.post("/api/person/forecasts", json={
        "fit_job": fit["id"], "candidates": [{"name": "c", "protocol_yaml": cand}],
        "at": "6 parsecs"}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["field"] == "at"
    assert "6 parsecs" in bad.json()["detail"]


def test_sensitivity_and_optimization_jobs(client, wait):
    r = client.post("/api/sensitivity", json={
        "protocol_yaml": KETAMINE, "parameters": ["k_syn", "tau_dep"], "samples": 4,
        "at": "1 week"}, headers=AUTH)
    sens = wait(r.json()["id"])
    assert sens["status"] == "done", sens["error"]
    assert sens["result"]["runs"] == 4 * 3 and "k_syn" in "".join(sens["result"]["ranking"])
    assert sens["manifest"]["cli"].startswith("moodtwin sensitivity inputs/protocol.yaml")
    r = client.post("/api/optimizations", json={
        "protocol_yaml": KETAMINE, "trials": 2, "draws": 3, "holdout": 0, "grid": 0,
        "at": "2 week"}, headers=AUTH)
    opt = wait(r.json()["id"])
    assert opt["status"] == "done", opt["error"]
    assert opt["result"]["therapy"] == "ketamine_iv" and "best_protocol.yaml" in opt["files"]
    bad = [({"protocol_yaml": KETAMINE, "constraints": ["dissociation<=x"]}, "constraints[0]"),
           ({"protocol_yaml": KETAMINE, "trials": 10_000}, "trials"),
           ({"protocol_yaml": KETAMINE, "fit_job": "0123456789abcdef"}, "job")]
    for body, field in bad:
        r = client.post("/api/optimizations", json=body, headers=AUTH)
        assert r.status_code in (404, 422) and r.json()["field"] == field, r.json()
    r = client.post("/api/sensitivity", json={"protocol_yaml": KETAMINE, "samples": 100_000},
                    headers=AUTH)
    assert r.status_code == 422 and "job-size limit" in r.json()["detail"]


@pytest.mark.slow
def test_person_individual_files_and_rejected_rows(client, wait):
    folder = ROOT / "examples/person/synthetic_vns"
    scores = (folder / "scores.csv").read_bytes() + b"2024-13-01,MADRS,40\n2024-02-01,MADRS,99\n"
    files = [("files", ("scores.csv", scores))]
    files += [("files", (p.name, p.read_bytes())) for p in sorted(folder.rglob("*"))
              if p.is_file() and p.name not in ("scores.csv", "truth.yaml")]
    r = client.post("/api/person/fits", files=files, data={"steps": 20, "burn": 5},
                    headers=AUTH)
    assert r.status_code == 202, r.text
    job = wait(r.json()["id"])
    assert job["status"] == "done", job["error"]
    assert "inputs/person/heart/2024-07-08_ecg.csv" in [
        f["path"] for f in job["manifest"]["input_files"]]
    report = job["result"]["data_report"]
    assert "scores.csv row 68: date '2024-13-01' is not a date" in report
    assert "scores.csv row 69: score '99' is not a MADRS score (0-60)" in report


def test_person_upload_without_required_files(client):
    r = client.post("/api/person/fits", files={"files": ("scores.csv", b"date,scale,score\n")},
                    headers=AUTH)
    assert r.status_code == 422 and "person.yaml" in r.json()["detail"]


def test_missing_fastapi_gives_one_line_install_hint(monkeypatch):
    import builtins

    import moodtwin.web as web

    real = builtins.__import__

    def no_fastapi(name, *a, **k):
        if name == "fastapi":
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_fastapi)
    res = cli.invoke(app, ["serve", "--data", str(Path("/nonexistent/x"))])
    assert res.exit_code == 2
    assert res.output.strip().splitlines()[-1] == f"error: {web.INSTALL_HINT}"


def test_serve_binds_localhost_and_prints_the_token_url(monkeypatch, tmp_path):
    import uvicorn

    from moodtwin.web import serve

    seen, lines = {}, []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw, app=app))
    serve(tmp_path, token="abc", say=lines.append)
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8765
    assert "    http://127.0.0.1:8765/?token=abc" in lines
    seen["app"].state.runner.shutdown()
