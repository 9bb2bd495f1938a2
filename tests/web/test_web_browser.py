"""The pages in a real Chromium (Debian's package) driven by Playwright against a running
server: build and run a protocol, run a trial through the progress bar, upload the example
person and get a forecast, validation and model pages; figures must render. Screenshots of
each page go to a temporary folder, or to docs/screenshots/ (the README's) when
MOODTWIN_SCREENSHOTS=1, so a test run leaves the checkout unchanged.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, TOKEN

pytestmark = pytest.mark.slow
SHOTS = (ROOT / "docs" / "screenshots" if os.environ.get("MOODTWIN_SCREENSHOTS") == "1"
         else Path(tempfile.mkdtemp(prefix="moodtwin-shots-")))


@pytest.fixture(scope="module")
def url(server):
    return server[0]


@pytest.fixture(scope="module")
def page(url, chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, headless=True,
                                     args=["--no-sandbox"])
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        outside: list[str] = []  # the pages must work with no internet: nothing leaves

        def local_only(route):
            if route.request.url.startswith(url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        ctx.route("**/*", local_only)
        pg = ctx.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(f"{url}/?token={TOKEN}")  # the token is kept for the session
        pg.errors = errors  # type: ignore[attr-defined]
        yield pg
        browser.close()
        assert not outside, outside


def _open(page, url, path):
    page.goto(url + path)
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)


def _done(page, where="#run-panel", timeout=120_000):
    page.wait_for_selector(f"{where} .status.s-done, {where} .status.s-failed",
                           timeout=timeout)
    assert page.inner_text(f"{where} [data-testid=status]") == "done", page.inner_text(where)


# a JavaScript null/undefined rendered as text: a text node of its own, or a template value
# ("n=null", "(null", "null)"); words in the model's own texts ("null in Warren et al.") pass
RENDERED_NULL = re.compile(r"^\s*(?:null|undefined)\s*$|[=(:]\s?(?:null|undefined)\b"
                           r"|\b(?:null|undefined)\s*[,)]|\b(?:null|undefined)\s*$")
TEXT_NODES = """() => { const out = [], w = document.createTreeWalker(
  document.querySelector("main"), NodeFilter.SHOW_TEXT);
  while (w.nextNode()) out.push(w.currentNode.textContent); return out; }"""


def _shot(page, name, full_page=False):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    shown = [s for s in page.evaluate(TEXT_NODES) if RENDERED_NULL.search(s)]
    assert not shown, shown[:5]  # no skipped optional part shown as text
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def test_build_and_run_a_protocol(page, url):
    _open(page, url, "/")
    assert "not medical advice" in page.inner_text("#disclaimer")
    assert "?token" not in page.url
    dose = page.locator("[data-path='therapies[0].dose']")
    dose.fill("3 mg/kg")  # outside the dose limit shown beside the field
    assert "0.05 – 1" in page.inner_text("fieldset.therapy")
    page.click("#run")
    err = page.locator("[data-err='therapies[0].dose']")
    err.wait_for(state="visible")
    page.wait_for_function("document.querySelector(\"[data-err='therapies[0].dose']\")"
                           ".textContent.length > 0")
    assert "outside the allowed range 0.05–1 mg/kg" in err.inner_text()
    dose.fill("0.5 mg/kg")
    page.fill("#p-name", "<img src=x onerror=alert(1)> ketamine")
    page.select_option("#add-type", "tavns")
    page.click("#add-therapy")  # a second therapy: combined protocol
    page.fill("[data-path='therapies[1].duration']", "2 week")
    page.fill("#seed", "4")
    page.click("#run")
    _done(page)
    assert "<img src=x onerror=alert(1)> ketamine" in page.inner_text("#summary")  # as text
    page.wait_for_selector("#figure .main-svg")
    page.wait_for_selector("#scale-figure .main-svg")
    assert page.locator("#figure .scatterlayer .trace").count() > 5
    assert "moodtwin simulate inputs/protocol.yaml" in page.inner_text("#run-panel")
    assert page.locator("a", has_text="CSV").count() == 1
    page.select_option("#scale", "PHQ9")
    page.fill("#p-name", "Ketamine 0.5 mg/kg + taVNS for 2 weeks")
    page.click("#run")
    page.wait_for_function("document.querySelector('#summary').textContent"
                           ".startsWith('Ketamine 0.5')", timeout=120_000)
    page.wait_for_selector("#figure .main-svg")
    _shot(page, "simulate")
    assert not page.errors  # type: ignore[attr-defined]


def test_trial_runs_through_the_progress_bar(page, url):
    _open(page, url, "/trial")
    page.select_option("#trial", "ketamine_murrough2013.yaml")
    page.fill("#n", "12")
    page.click("#run")
    page.wait_for_selector("#run-panel .progress")
    _done(page)
    assert page.get_attribute("#run-panel .progress", "aria-valuenow") == "100"
    page.wait_for_selector("#figure .main-svg")
    tables = page.inner_text("#tables")
    assert "Published vs simulated" in tables and "-16.5" in tables
    assert "Excluded patients (0)" in tables
    _shot(page, "trial")
    _open(page, url, "/trial")  # an earlier run can be opened again
    page.click("details.recent summary")
    page.click("#recent a")
    _done(page)
    page.wait_for_selector("#tables h3")
    assert "Published vs simulated" in page.inner_text("#tables")


def test_validation_dashboard(page, url):
    _open(page, url, "/validation")
    for box in page.locator("#trial-list input[type=checkbox]").all():
        if box.get_attribute("value") != "ketamine_murrough2013.yaml":
            box.uncheck()
    page.click("#run")
    _done(page)
    page.wait_for_selector("#figure .main-svg")
    assert "published numbers pass" in page.inner_text("#tables")
    assert page.locator("#tables tr.pass, #tables tr.fail").count() == 4
    _shot(page, "validation")


def test_personal_twin_upload_fit_and_forecast(page, url, tmp_path):
    folder = ROOT / "examples/person/synthetic_vns"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in folder.rglob("*"):
            if p.is_file():
                zf.write(p, "synthetic_vns/" + p.relative_to(folder).as_posix())
    (tmp_path / "synthetic_vns.zip").write_bytes(buf.getvalue())
    _open(page, url, "/person")
    page.set_input_files("#files", str(tmp_path / "synthetic_vns.zip"))
    page.fill("#steps", "30")
    page.fill("#burn", "10")
    page.click("#run")
    _done(page)
    assert "scores.csv: 67 valid row(s) used" in page.inner_text("#data-report")
    boxes = page.locator("#candidates input[type=checkbox]").all()
    for box in boxes[1:]:
        box.uncheck()
    page.fill("#draws", "20")
    page.click("#forecast")
    _done(page, "#fc-panel")
    page.wait_for_selector("#figure .main-svg")
    assert "P(remission) MADRS" in page.inner_text("#tables")
    _shot(page, "person", full_page=True)


def test_sensitivity_page(page, url):
    _open(page, url, "/explore")
    page.fill("#parameters", "k_syn, tau_dep")
    page.fill("#samples", "4")
    page.fill("#s-at", "1 week")
    page.click("#run-sens")
    _done(page)
    page.wait_for_selector("#png:not(.hidden)")
    assert "k_syn" in page.inner_text("#lines")
    assert page.evaluate("document.querySelector('#png').naturalWidth") > 100
    _shot(page, "explore")


def test_model_browser_search(page, url):
    _open(page, url, "/model")
    page.wait_for_selector("math")
    page.fill("#search", "ket_CL")
    assert "matching rows" in page.inner_text("#count")
    visible = page.locator("#model tbody tr:not(.hidden)")
    assert 1 <= visible.count() < 10
    page.fill("#search", "")
    _shot(page, "model")


def test_api_docs_render_offline(page, url):
    page.goto(url + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() >= 15
    assert "moodtwin API" in page.inner_text(".title")
