"""The widgets gallery in a real JupyterLab, driven by headless Chromium through Playwright.

It starts JupyterLab on localhost, opens a copy of ``notebooks/widgets_gallery.ipynb``,
runs all cells, checks that every widget rendered, moves one control of each and checks
that its picture and message changed, and saves screenshots under ``build/screenshots``.

Chromium comes from the system (``/usr/bin/chromium``).  Where it is missing and the
run is CI's (``CI=true``, as root, with apt-get), the test installs Debian's package
first; elsewhere it skips and says why.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "build" / "screenshots"
WIDGETS = {  # css class -> how to move one of its controls
    "bp-backward-stepper": ("button", "step"),
    "bp-lr-explorer": ("slider", None),
    "bp-optimizer-race": ("slider", None),
    "bp-gradient-flow": ("slider", None),
    "bp-training-dashboard": ("button", "train"),
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def find_or_install_chromium() -> tuple[str | None, str]:
    """The path of a Chromium binary, or None and the reason there is none."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found, ""
    if os.environ.get("CI") != "true":
        return None, "Chromium is not installed (apt-get install chromium); CI installs it itself"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "Chromium is missing and cannot be installed here (needs root and apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            return None, f"installing Chromium failed: {result.stderr.strip()[-300:]}"
    found = shutil.which("chromium")
    return (found, "") if found else (None, "apt-get installed no chromium binary")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_lab_settings(settings_dir: Path) -> None:
    """No news toast, and start the default kernel without asking."""
    for plugin, values in {
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
        "@jupyterlab/notebook-extension/tracker": {"autoStartDefaultKernel": True},
    }.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@contextlib.contextmanager
def jupyter_lab(work: Path):
    """JupyterLab serving ``work`` on a free localhost port: yields (base URL, token)."""
    write_lab_settings(work / "settings")
    port, token = free_port(), "backproplab-test"
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(work / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces"), "BACKPROPLAB_PROGRESS": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--allow-root", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={work}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"JupyterLab exited with code {server.returncode} (is jupyterlab installed?)")
                if time.time() > deadline:
                    pytest.fail("JupyterLab did not start within 60 s")
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def chromium_or_skip() -> str:
    """The Chromium binary (installed first under CI), or skip the test with the reason."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    chromium, reason = find_or_install_chromium()
    if chromium is None:
        pytest.skip(reason)
    return chromium


def open_and_run_all(page, base: str, token: str, notebook: str) -> None:
    """Open ``notebook`` in JupyterLab once its kernel is idle, and run all its cells."""
    page.goto(f"{base}/lab/tree/{notebook}?token={token}")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator('li[data-command="runmenu:run-all"]').click()


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    chromium = chromium_or_skip()
    work = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / "widgets_gallery.ipynb", work / "widgets_gallery.ipynb")
    with jupyter_lab(work) as (base, token):
        yield chromium, base, token


def widget_state(widget) -> tuple[str, str]:
    """What a widget currently shows: its picture's source and its message text."""
    picture = widget.locator("img").first.get_attribute("src") or ""
    return picture, widget.locator(".widget-html").first.inner_text()


def test_gallery_widgets_render_and_respond_in_jupyterlab(lab_server):
    from playwright.sync_api import sync_playwright

    chromium, base, token = lab_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        open_and_run_all(page, base, token, "widgets_gallery.ipynb")
        for css in WIDGETS:
            page.locator(f".{css} img").first.wait_for(timeout=120_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
        page.screenshot(path=str(SCREENSHOTS / "gallery.png"))

        for css, (kind, label) in WIDGETS.items():
            widget = page.locator(f".{css}").first
            widget.scroll_into_view_if_needed()
            before = widget_state(widget)
            if kind == "button":
                widget.locator("button", has_text=label).first.click()
            else:
                handle = widget.locator(".widget-slider .noUi-handle").first
                handle.focus()
                handle.press("ArrowRight")
            deadline = time.time() + 60
            while widget_state(widget) == before:
                assert time.time() < deadline, f"{css} did not change after moving a control"
                time.sleep(0.25)
            assert widget_state(widget)[1] != before[1], f"{css}: the message did not change"
            widget.screenshot(path=str(SCREENSHOTS / f"{css}.png"))
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == 0, errors.first.inner_text()
        browser.close()
