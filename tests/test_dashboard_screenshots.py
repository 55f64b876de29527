"""The images the README and docs/ show exist and are PNGs, and docs/dashboard.md's are exactly
the ones the browser test writes (``tests/browser/test_dashboard.py``), so a run of it keeps them
current."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from tests.browser import test_dashboard as browser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def images(markdown: str) -> list[str]:
    """The target of every ``![alt](target)`` in ``markdown``, in order."""
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", markdown)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk; fails unless ``path`` is a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_every_image_the_docs_show_is_a_png_in_the_project() -> None:
    found = [(page, target) for page in PAGES for target in images(page.read_text("utf-8"))]
    assert found
    for page, target in found:
        path = (page.parent / target).resolve()  # relative to the page that shows it
        assert not re.match(r"\w+://", target) and path.is_relative_to(ROOT), target
        assert path.is_file(), f"{page.relative_to(ROOT)} shows {target}, which does not exist"
        png_size(path)


def test_dashboard_page_shows_what_the_browser_test_writes() -> None:
    page = (DOCS / "dashboard.md").read_text("utf-8")
    assert "Screenshots follow" not in page
    shown = [(DOCS / target).resolve() for target in images(page)]
    assert shown == list(browser.SCREENSHOTS.values())
    assert browser.SCREENSHOT_DIR == ROOT / "docs" / "screenshots"


def test_a_test_run_writes_screenshots_into_the_docs_only_when_asked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``./scripts/test`` leaves the checkout as it found it; ``scripts/screenshots`` (which sets
    the variable) regenerates the README's images."""
    monkeypatch.delenv(browser.WRITE_SCREENSHOTS, raising=False)
    scratch = browser.screenshot_path("payments")
    assert scratch.is_relative_to(ROOT / "test-artifacts")
    assert "test-artifacts/" in (ROOT / ".gitignore").read_text("utf-8").split()
    monkeypatch.setenv(browser.WRITE_SCREENSHOTS, "1")
    assert browser.screenshot_path("payments") == browser.SCREENSHOTS["payments"]
    script = (ROOT / "scripts" / "screenshots").read_text("utf-8")
    assert f"{browser.WRITE_SCREENSHOTS}=1" in script
    assert "tests/browser/test_dashboard.py" in script


def test_screenshots_have_the_browser_test_window_width() -> None:
    for name, path in browser.SCREENSHOTS.items():
        expected = browser.PHONE if name == "phone" else browser.DESKTOP
        width, height = png_size(path)
        assert width == expected["width"], f"{path.name}: {width} px wide"
        assert height >= expected["height"], f"{path.name}: {height} px high"
