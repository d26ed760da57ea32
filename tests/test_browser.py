"""A reader's check: chromium loads every page of the built site.

Playwright drives Debian's chromium (never ``playwright install``) over the
site served on 127.0.0.1. Every page must load without console errors,
show its figures, typeset its math, open its solution dropdowns, link
notebooks that resolve, and request nothing outside 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("chromium is required in CI; .ci/run installs it")
    pytest.skip("chromium not installed (apt-get install chromium)",
                allow_module_level=True)

FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder):
    """Serve ``folder`` on 127.0.0.1; yield its base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def server(built_site):
    with serve(built_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def visits(built_site, server, browser):
    """Visit every page once; record problems and what each page shows."""
    outside, report = [], {}
    context = browser.new_context()

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host not in ("127.0.0.1", None):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    for path in sorted(built_site.rglob("*.html")):
        rel = path.relative_to(built_site).as_posix()
        if rel.startswith("_"):
            continue  # theme fragments such as _static/*.html
        page = context.new_page()
        errors = []
        page.on("console", lambda m, e=errors: m.type == "error" and
                e.append(m.text))
        page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
        page.goto(f"{server}/{rel}", wait_until="load")
        if page.locator(".math").count():
            page.wait_for_function(
                "document.querySelectorAll('mjx-container').length > 0",
                timeout=20_000,
            )
        report[rel] = {"errors": errors, "page": page}
    yield report, outside
    context.close()


def chapter_pages(report):
    return {k: v["page"] for k, v in report.items()
            if k.startswith("book/") and v["page"].locator(
                ".run-this-chapter").count()}


def test_pages_load_without_console_errors(visits):
    report, _ = visits
    bad = {k: v["errors"] for k, v in report.items() if v["errors"]}
    assert not bad


def test_no_request_leaves_localhost(visits):
    _, outside = visits
    assert outside == []


def test_math_is_typeset(visits):
    report, _ = visits
    typeset = [k for k, v in report.items()
               if v["page"].locator("mjx-container").count()]
    assert typeset, "no page shows typeset math"
    for key, page in chapter_pages(report).items():
        raw = page.locator(".math").count()
        shown = page.locator("mjx-container").count()
        assert shown >= raw > 0, key


def test_figures_are_present_and_loaded(visits):
    report, _ = visits
    chapters = chapter_pages(report)
    assert chapters
    for key, page in chapters.items():
        images = page.locator("figure img, .cell_output img")
        assert images.count() > 0, f"{key} has no figure"
        widths = images.evaluate_all("els => els.map(e => e.naturalWidth)")
        assert all(w > 0 for w in widths), key


def test_solution_dropdowns_open(visits):
    report, _ = visits
    for key, page in chapter_pages(report).items():
        solutions = page.locator("div.solution")
        assert solutions.count() > 0, f"{key} has no solution"
        first = solutions.first
        body = first.locator(".section, section, .cell").first
        assert not body.is_visible(), f"{key}: solution not folded"
        first.locator(".toggle-button, .admonition-title").first.click()
        body.wait_for(state="visible", timeout=5_000)


def test_notebook_links_resolve(visits, server):
    report, _ = visits
    for key, page in chapter_pages(report).items():
        for cls in ("nb-full", "nb-student"):
            href = page.locator(f"a.{cls}").first.get_attribute("href")
            url = page.url.rsplit("/", 1)[0] + "/" + href
            response = page.request.get(url)
            assert response.ok, f"{key}: {href}"
            assert "cells" in response.json()
