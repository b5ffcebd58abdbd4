"""report.html in headless Chromium: it parses and renders, and the summary with every gate fits the first screen."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from test_report_fixture import complete_run
from test_report_objectives import COMPARISON, OBJECTIVES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FIRST_SCREEN = (1280, 900)
MARKER = (255, 0, 255)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium); the browser check needs it")


@pytest.fixture
def signed_run(tmp_path: Path) -> Path:
    """A fabricated run as the pipeline leaves it, with objectives and a method comparison (the longest summary)."""
    return complete_run(tmp_path / "run", objectives=OBJECTIVES, comparison=COMPARISON).run.root

def chromium(tmp_path: Path, *args: str) -> str:
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chromium-profile'}", *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


def screenshot(tmp_path: Path, html: Path, name: str) -> Image.Image:
    png = tmp_path / name
    chromium(tmp_path, f"--window-size={FIRST_SCREEN[0]},{FIRST_SCREEN[1]}", f"--screenshot={png}", html.as_uri())
    return Image.open(png).convert("RGB")


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {colour for _, colour in image.getcolors(maxcolors=1 << 24)}


def test_chromium_parses_the_report(signed_run: Path, tmp_path: Path) -> None:
    import json

    dom = chromium(tmp_path, "--dump-dom", (signed_run / "report" / "report.html").as_uri())
    report = json.loads((signed_run / "report" / "report.json").read_text())
    assert f"Compliance report · run {report['run_id']}" in dom
    for gate in report["gates"]:
        assert gate["name"] in dom
    assert dom.count("<svg") >= 10


def test_summary_with_every_gate_fits_the_first_screen(signed_run: Path, tmp_path: Path) -> None:
    """A magenta bar placed right after the summary section must be visible in a 1280x900 screenshot."""
    html = (signed_run / "report" / "report.html").read_text()
    page = screenshot(tmp_path, signed_run / "report" / "report.html", "report.png")
    assert page.size == FIRST_SCREEN
    assert len(colours(page)) > 50, "the page rendered more than a blank screen"
    head = html.partition('<section id="summary">')[2].partition("</section>")[0]
    head = html.partition('<section id="summary">')[0] + '<section id="summary">' + head + "</section>"
    probe = tmp_path / "probe.html"
    probe.write_text(head + '<div style="height:8px;background:#ff00ff"></div></body></html>')
    shot = screenshot(tmp_path, probe, "probe.png")
    assert MARKER in colours(shot), "the gates table runs past the first screen"
