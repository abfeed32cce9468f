"""The browser the page tests open pages in: Chromium from Debian's packages (never a browser
that Playwright downloads), driven headless by Playwright for Python, and axe-core from the npm
registry, installed once into .cache/ of the checkout.

Without them the tests skip with one line saying how to install them; under CI (``CI`` set, as
.ci/run sets it, and .ci/run installs Chromium) they fail instead: CI never skips them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.paths import ROOT

CHROMIUM = os.environ.get("SAYLAU_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Playwright adds --headless, --no-sandbox (as root), --no-first-run, --disable-sync and the
# other quiet flags; these two keep Chromium off the GPU and the network (/work/notes/env.md).
ARGS = ["--disable-gpu", "--disable-quic"]
AXE_VERSION = "4.14.1"
AXE_DIR = ROOT / ".cache" / f"axe-core-{AXE_VERSION}"
AXE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"


def missing(what: str, *, module: bool = False) -> None:
    """Skip with one line on a developer's machine (``module``: every test of the calling
    module at once); fail under CI, which runs every test."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI runs the browser tests; .ci/run installs Chromium)")
    pytest.skip(what, allow_module_level=module)


def require_chromium() -> None:
    """Called by a browser test module as it is imported: without Playwright or Chromium, its
    tests skip as one line saying how to install them (fail under CI)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("browser tests need playwright: pip install 'saylau[test]' (it drives Debian's "
                "chromium; no browser is downloaded)", module=True)
    if not Path(CHROMIUM).is_file():
        missing(f"browser tests need Chromium at {CHROMIUM}: sudo apt-get install chromium "
                "(Debian, Ubuntu), or set SAYLAU_CHROMIUM to a Chromium binary", module=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, for the whole session."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe.min.js of axe-core (npm registry), installed into .cache/ on first use."""
    if not AXE.is_file():
        npm = shutil.which("npm")
        if npm is None:
            missing("the accessibility test needs npm to install axe-core: install Node.js and "
                    "npm (Debian: sudo apt-get install npm)")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--no-save", "--no-package-lock", "--no-audit",
                               "--no-fund", "--prefix", str(AXE_DIR), f"axe-core@{AXE_VERSION}"],
                              capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0 or not AXE.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            missing(f"npm could not install axe-core {AXE_VERSION}: {last}")
    return AXE.read_text(encoding="utf-8")


class Opened:
    """A page opened from a file: what it logged as errors, and every request that left the
    file (blocked: the page must need none)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Opened]]:
    """Open a page file in a fresh context; requests other than the file itself are blocked and
    recorded, console errors, uncaught exceptions and dialogs recorded."""
    contexts = []

    def open_(path: Path, **context: Any) -> Opened:
        ctx = browser.new_context(viewport={"width": 1100, "height": 900}, **context)
        contexts.append(ctx)
        page = ctx.new_page()
        seen = Opened(page)

        def route(r: Any) -> None:
            if r.request.url.startswith(("file:", "data:", "about:")):
                r.continue_()
            else:
                seen.requests.append(r.request.url)
                r.abort()

        def dialog(d: Any) -> None:
            seen.dialogs.append(d.message)
            d.dismiss()

        ctx.route("**/*", route)
        page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: seen.errors.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: seen.requests.append(f"failed: {r.url}"))
        page.on("dialog", dialog)
        page.goto(path.resolve().as_uri(), wait_until="load")
        return seen

    yield open_
    for ctx in contexts:
        ctx.close()
