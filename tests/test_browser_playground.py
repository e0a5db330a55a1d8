"""The Playground in a real JupyterLab, driven by headless Chromium through Playwright.

The test writes a small notebook with a 4 x 8 Playground into a temporary folder, runs
it, presses the Play button, waits two seconds and pauses, and checks that the epoch
counter advanced, that training then stands still, and that the picture changed; then it
adds a hidden layer and checks that the layer readout counts one more layer (and column)
and that the picture changed again.  Screenshots go to ``build/screenshots``.

Chromium and the server come from the helpers of ``test_browser.py`` (under CI the test
installs Chromium itself; elsewhere it skips where there is none).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from test_browser import CHROMIUM_ARGS, SCREENSHOTS, chromium_or_skip, jupyter_lab, open_and_run_all

NOTEBOOK_CELLS = [
    "from backproplab import widgets",
    "pg = widgets.Playground(dataset='spiral', hidden=(8, 8, 8, 8), activation='tanh')\npg",
]


def write_notebook(path) -> None:
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
             for source in NOTEBOOK_CELLS]
    notebook = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                                            "language": "python", "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook))


@pytest.fixture(scope="module")
def playground_lab(tmp_path_factory):
    chromium = chromium_or_skip()
    work = tmp_path_factory.mktemp("lab_playground")
    write_notebook(work / "playground.ipynb")
    with jupyter_lab(work) as (base, token):
        yield chromium, base, token


def number_in(locator) -> int:
    """The first whole number in an element's text."""
    text = locator.inner_text()
    match = re.search(r"\d+", text)
    assert match, f"no number in {text!r}"
    return int(match.group())


def wait_until(condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, f"timed out waiting until {what}"
        time.sleep(0.2)


def test_playground_plays_pauses_and_grows_a_layer_in_jupyterlab(playground_lab):
    from playwright.sync_api import sync_playwright

    chromium, base, token = playground_lab
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        open_and_run_all(page, base, token, "playground.ipynb")
        widget = page.locator(".bp-playground").first
        widget.locator("img").first.wait_for(timeout=120_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
        widget.scroll_into_view_if_needed()
        epoch = widget.locator(".bp-playground-epoch").first
        layers = widget.locator(".bp-playground-layers").first
        image = widget.locator("img").first
        assert number_in(epoch) == 0
        assert re.search(r"4 hidden layers \(6 columns\)", layers.inner_text()), layers.inner_text()
        picture_before = image.get_attribute("src")
        widget.screenshot(path=str(SCREENSHOTS / "bp-playground-start.png"))

        play_pause = widget.locator(".widget-play button").first  # the Play widget's play/pause
        play_pause.click()
        time.sleep(2.0)
        play_pause.click()
        # the kernel finishes the beat in hand; then nothing moves while paused
        wait_until(lambda: number_in(epoch) > 0, "the epoch counter advanced", timeout=30)
        settled = number_in(epoch)
        for _ in range(10):
            time.sleep(0.5)
            if number_in(epoch) == settled:
                break
            settled = number_in(epoch)
        time.sleep(1.0)
        paused_at = number_in(epoch)
        assert paused_at == settled, f"training went on after pause ({settled} -> {paused_at})"
        assert paused_at >= 2, f"only {paused_at} epochs in two seconds of play"
        picture_trained = image.get_attribute("src")
        assert picture_trained != picture_before, "the picture did not change while training"
        assert re.search(r"epoch \d+: training loss", widget.locator(".bp-playground-stats").inner_text())
        widget.screenshot(path=str(SCREENSHOTS / "bp-playground-trained.png"))

        widget.locator('button[title="add a hidden layer"]').click()
        wait_until(lambda: "5 hidden layers (7 columns)" in layers.inner_text(),
                   "the layer readout showed the new layer", timeout=30)
        wait_until(lambda: image.get_attribute("src") != picture_trained, "the picture changed", timeout=30)
        assert number_in(epoch) == 0  # a new network starts from epoch 0
        assert widget.locator(".bp-playground-stats").inner_text().startswith("epoch 0:")
        widget.screenshot(path=str(SCREENSHOTS / "bp-playground.png"))

        widget.locator("button", has_text="show gradients").click()
        widget.locator("button", has_text="step").click()
        wait_until(lambda: number_in(epoch) == 1, "one step trained one epoch", timeout=30)
        widget.screenshot(path=str(SCREENSHOTS / "bp-playground-gradients.png"))

        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == 0, errors.first.inner_text()
        browser.close()
