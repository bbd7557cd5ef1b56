"""The test browser itself: how Chromium is found, the make step that stops without one, axe-core's
pinned download, and printing to PDF (A4, the page's print CSS, pages counted)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from support.browser import Browser, fetch_verified, integrity_ok, pdf_page_count
from support.chromium import find_chromium

CHROMIUM_SCRIPT = Path(__file__).resolve().parents[1] / "support" / "chromium.py"


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\necho 'Fake Chromium 1.0'\n")
    path.chmod(0o755)
    return path


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


# --- finding the browser ----------------------------------------------------------------------------

def test_chromium_names_are_tried_in_order_on_path(tmp_path, monkeypatch):
    _executable(tmp_path / "google-chrome")
    _executable(tmp_path / "chromium-browser")
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() == str(tmp_path / "chromium-browser")


def test_chromium_variable_wins_and_is_not_second_guessed(tmp_path, monkeypatch):
    _executable(tmp_path / "chromium")
    own = _executable(tmp_path / "my-chrome")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CHROMIUM", str(own))
    assert find_chromium() == str(own)
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "not-there"))
    assert find_chromium() is None  # not quietly replaced by the chromium on PATH


def test_make_step_stops_within_seconds_with_the_command_to_run(tmp_path):
    """What ``make test`` runs first, on a machine with no browser and no apt-get to install one."""
    env = {k: v for k, v in os.environ.items() if k != "CHROMIUM"} | {"PATH": str(tmp_path)}
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(CHROMIUM_SCRIPT), "--install"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 10
    assert done.returncode == 1
    assert "make test CHROMIUM=/path/to/chrome" in done.stderr


def test_make_step_reports_the_browser_it_found(tmp_path):
    env = os.environ | {"CHROMIUM": str(_executable(tmp_path / "chrome"))}
    done = subprocess.run([sys.executable, str(CHROMIUM_SCRIPT), "--install"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Fake Chromium 1.0" in done.stdout


# --- axe-core's pinned download ---------------------------------------------------------------------

def test_integrity_strings_are_checked():
    assert integrity_ok(b"abc", _integrity(b"abc"))
    assert not integrity_ok(b"abd", _integrity(b"abc"))
    assert not integrity_ok(b"abc", _integrity(b"abc").replace("sha512", "sha1"))


def test_download_that_fails_its_digest_is_refused_and_not_cached(tmp_path):
    source = tmp_path / "axe.tgz"
    source.write_bytes(b"tampered")
    cached = tmp_path / "cache" / "axe.tgz"
    with pytest.raises(RuntimeError, match="does not match its pinned integrity"):
        fetch_verified(source.as_uri(), _integrity(b"genuine"), cached)
    assert not cached.exists() and not cached.parent.exists()


def test_a_damaged_cached_copy_is_fetched_again(tmp_path):
    source = tmp_path / "axe.tgz"
    source.write_bytes(b"genuine")
    cached = tmp_path / "cache" / "axe.tgz"
    cached.parent.mkdir()
    cached.write_bytes(b"genu")  # an interrupted copy from an older version of this code
    assert fetch_verified(source.as_uri(), _integrity(b"genuine"), cached).read_bytes() == b"genuine"


# --- printing to PDF --------------------------------------------------------------------------------

PAGES = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>pages</title><style>
  @page { size: A4; margin: 15mm; }
  section { height: 40mm; }
  section + section { break-before: page; }
  .screen-only { height: 3000mm; }
  @media print { .screen-only { display: none; } }
</style></head><body>
<div class="screen-only">on screen this alone would fill many pages</div>
{sections}
</body></html>"""


def _printed(tmp_path: Path, sections: int) -> tuple[bytes, int]:
    page = tmp_path / f"{sections}.html"
    page.write_text(PAGES.replace("{sections}", "".join(f"<section>Part {i}</section>" for i in range(sections))))
    with Browser() as browser:
        return browser.print_to_pdf(browser.open(page.as_uri()))


@pytest.mark.parametrize("sections", [1, 3])
def test_print_to_pdf_follows_the_print_css_page_breaks(tmp_path, sections):
    pdf, pages = _printed(tmp_path, sections)
    assert pdf.startswith(b"%PDF-")
    assert pages == sections


def test_print_to_pdf_is_a4(tmp_path):
    pdf, _ = _printed(tmp_path, 1)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes, "no page size in the PDF"
    for width, height in boxes:  # A4 is 595.3 x 841.9 points
        assert abs(float(width) - 595.3) < 1 and abs(float(height) - 841.9) < 1


def test_pages_inside_compressed_object_streams_are_counted():
    objects = zlib.compress(b"<< /Type /Page /Parent 3 0 R >> << /Type /Page /Parent 3 0 R >> << /Type /Pages /Count 2 >>")
    pdf = (b"%PDF-1.7\n1 0 obj\n<< /Type /ObjStm /N 3 /First 12 /Filter /FlateDecode >>\nstream\n"
           + objects + b"\nendstream\nendobj\n4 0 obj\n<< /Type /Page /Parent 3 0 R >>\nendobj\n%%EOF\n")
    assert pdf_page_count(pdf) == 3
