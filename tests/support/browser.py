"""A headless Chromium driven over the DevTools protocol through a pipe (stdlib only).

``--remote-debugging-pipe`` makes Chromium read protocol commands from file descriptor 3 and
write replies and events to descriptor 4, each message JSON ending in a NUL byte. That needs no
WebSocket client, no chromedriver matching the browser's version and no new Python dependency.

The browser is found as ``make test`` finds it (``tests/support/chromium.py``). Also here: axe-core's
pinned bundle, fetched from the npm registry with the stdlib, and printing a page to PDF with
its page count.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path

from support.chromium import find_chromium, missing_message

# axe-core, pinned by version and by the npm registry's sha512 integrity string for its tarball;
# fetched over HTTPS into build/cache on first use and checked every time it is read.
AXE_VERSION = "4.10.2"
AXE_URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
AXE_INTEGRITY = "sha512-RE3mdQ7P3FRSe7eqCWoeQ/Z9QXrtniSjp1wUjt5nRC3WIpz5rSCve6o3fsZ2aCpJtrZjSZgjwXAoTO5k4tEI0w=="

# Headless, no sandbox (root in containers), and none of the browser's own traffic: without the
# background-networking, component-update and sync switches it opens connections of its own at
# start-up, which a machine with no general internet refuses many at a time.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-dev-shm-usage")

A4_INCHES = (210 / 25.4, 297 / 25.4)
A4_MM = (210, 297)


def a4_css_pixels(margin_mm: float) -> tuple[int, int]:
    """The width and height of an A4 page less ``margin_mm`` on every side, in CSS pixels (96 to the inch)."""
    return tuple(round((side - 2 * margin_mm) / 25.4 * 96) for side in A4_MM)


def integrity_ok(data: bytes, integrity: str) -> bool:
    """Whether ``data`` matches an npm ``sha512-<base64>`` integrity string."""
    algorithm, _, expected = integrity.partition("-")
    return algorithm == "sha512" and base64.b64encode(hashlib.sha512(data).digest()).decode() == expected


def fetch_verified(url: str, integrity: str, dest: Path) -> Path:
    """``dest``, downloaded from ``url`` unless a copy with the right digest is already there.

    The download is checked before it is renamed into place, so the cache never holds a file
    that failed the check."""
    if dest.exists() and integrity_ok(dest.read_bytes(), integrity):
        return dest
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    if not integrity_ok(data, integrity):
        raise RuntimeError(f"{url} does not match its pinned integrity {integrity}; not used")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.write_bytes(data)
    partial.replace(dest)
    return dest


def axe_source(cache: Path) -> str:
    """axe-core's browser bundle from its pinned, verified npm tarball (kept in ``cache``)."""
    tarball = fetch_verified(AXE_URL, AXE_INTEGRITY, cache / f"axe-core-{AXE_VERSION}.tgz")
    with tarfile.open(tarball) as tar:
        return tar.extractfile("package/axe.min.js").read().decode("utf-8")


def pdf_page_count(pdf: bytes) -> int:
    """Pages in a PDF, counted as its ``/Type /Page`` objects (``/Pages`` nodes excluded).

    Objects inside compressed object streams are counted too, so it does not depend on how the
    PDF was written; stdlib only."""
    pattern = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
    count = len(pattern.findall(pdf))
    for stream in re.finditer(rb"/Type\s*/ObjStm.*?stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            count += len(pattern.findall(zlib.decompressobj().decompress(stream[1])))
        except zlib.error:
            pass
    return count


_OBJECT = re.compile(rb"(?<![0-9])(\d+)\s+0\s+obj\b")
_REF = rb"(\d+)\s+0\s+R"


def _pdf_objects(pdf: bytes) -> dict[int, bytes]:
    """Each object's dictionary text by object number (a stream's data left out); stdlib only, for the PDFs
    Chromium writes (objects in the file, not in object streams)."""
    objects = {}
    for found in _OBJECT.finditer(pdf):
        end = pdf.find(b"endobj", found.end())
        if end != -1:
            objects[int(found[1])] = re.split(rb"\bstream\r?\n", pdf[found.end():end], maxsplit=1)[0]
    return objects


def _pdf_name(raw: bytes) -> str:
    """A PDF name or string as text (``#xx`` escapes in a name decoded)."""
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), raw).decode("utf-8", "replace")


def _pdf_pages(objects: dict[int, bytes]) -> list[int]:
    """The page objects in reading order, from the root of the page tree."""
    root = next(n for n, text in objects.items() if re.search(rb"/Type\s*/Pages\b", text) and b"/Parent" not in text)

    def kids(number: int) -> list[int]:
        text = objects[number]
        if not re.search(rb"/Type\s*/Pages\b", text):
            return [number]
        listed = re.search(rb"/Kids\s*\[([^\]]*)\]", text)[1]
        return [page for kid in re.findall(_REF, listed) for page in kids(int(kid))]
    return kids(root)


def pdf_links(pdf: bytes) -> list[list[str]]:
    """For each page of a PDF, in order, the named destinations its links go to (a link to an anchor of the
    page printed, ``#id``, is a named destination ``id`` in the PDFs Chromium writes)."""
    objects = _pdf_objects(pdf)
    pages = []
    for page in _pdf_pages(objects):
        annots = re.search(rb"/Annots\s*(?:\[([^\]]*)\]|" + _REF + rb")", objects[page])
        listed = b"" if annots is None else annots[1] if annots[1] is not None else \
            re.search(rb"\[([^\]]*)\]", objects[int(annots[2])])[1]
        dests = []
        for ref in re.findall(_REF, listed):
            dest = re.search(rb"/(?:Dest|D)\s*(?:/([^\s/\[\]<>()]+)|\(([^)]*)\))", objects.get(int(ref), b""))
            if dest and b"/Link" in objects[int(ref)]:
                dests.append(_pdf_name(dest[1] or dest[2]))
        pages.append(dests)
    return pages


def pdf_destinations(pdf: bytes) -> dict[str, int]:
    """The PDF's named destinations (``/Dests``): each name and the index of the page it leads to."""
    objects = _pdf_objects(pdf)
    index = {page: i for i, page in enumerate(_pdf_pages(objects))}
    catalogue = next(text for text in objects.values() if re.search(rb"/Type\s*/Catalog\b", text))
    dests = re.search(rb"/Dests\s*" + _REF, catalogue)
    if dests is None:
        return {}
    return {_pdf_name(name): index[int(page)]
            for name, page in re.findall(rb"/([^\s/\[\]<>()]+)\s*\[\s*" + _REF, objects[int(dests[1])])}


class Browser:
    def __init__(self, binary: str | None = None, timeout: float = 60, args: tuple[str, ...] = ()):
        binary = binary or find_chromium()
        if binary is None:
            raise RuntimeError(missing_message(tried_to_install=False))
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire():  # in the child: the pipe ends on the descriptors Chromium expects
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.process = subprocess.Popen(
            [binary, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self.profile}", *args, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=wire)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("no reply from Chromium")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium exited (code {self.process.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        command = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            command["sessionId"] = session
        os.write(self._to_browser, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, session: str) -> dict:
        deadline = time.monotonic() + self.timeout
        for event in self.events:
            if event.get("method") == method and event.get("sessionId") == session:
                return event
        while True:
            message = self._read_message(deadline)
            self.events.append(message)
            if message.get("method") == method and message.get("sessionId") == session:
                return message

    def open(self, url: str, domains: tuple[str, ...] = ("Page", "Runtime", "Log")) -> str:
        """A new page loaded with ``url``; returns its session id (events of ``domains`` recorded)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in domains:
            self.send(f"{domain}.enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        return session

    def open_as_printed(self, url: str, width: int, height: int = 1123) -> str:
        """A new page loaded with ``url`` laid out as for print: print media rules, and a viewport as wide as the
        printed page's content (:func:`a4_css_pixels`); returns its session id."""
        session = self.open("about:blank")
        self.send("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": False}, session=session)
        self.events.clear()  # wait for this page's load, not about:blank's
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        return session

    def tables_past_the_page(self, session: str, width: int) -> list[str]:
        """Every table, and cell of a table, that runs past ``width`` or past its own box (cut or scrolled),
        as its tag and the start of its text; empty when every table fits."""
        return self.evaluate(session, f"""[...document.querySelectorAll('table')].flatMap(t =>
            [t, ...t.querySelectorAll('th, td')].filter(e => e.getBoundingClientRect().right > {width} + 0.5
                                                              || e.scrollWidth > e.clientWidth + 1)
              .map(e => e.tagName + ': ' + e.innerText.slice(0, 40)))""")

    def evaluate(self, session: str, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, session=session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def requested(self, session: str) -> list[str]:
        """Every address the page asked for (record the "Network" domain in :meth:`open`)."""
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("sessionId") == session and e.get("method") == "Network.requestWillBeSent"]

    def console_errors(self, session: str) -> list[str]:
        """Errors the page raised or logged: console.error, uncaught exceptions, failed loads."""
        errors = []
        for e in self.events:
            if e.get("sessionId") != session:
                continue
            p = e.get("params", {})
            if e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif e.get("method") == "Runtime.exceptionThrown":
                errors.append(p.get("exceptionDetails", {}).get("text", "exception"))
            elif e.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                errors.append(p["entry"].get("text", ""))
        return errors

    def print_to_pdf(self, session: str) -> tuple[bytes, int]:
        """The page of ``session`` printed as Chromium prints it: A4 unless the page's print CSS
        says otherwise (``@page`` size and margins win), print media rules, backgrounds kept.
        Returns the PDF and its page count."""
        width, height = A4_INCHES
        result = self.send("Page.printToPDF", {"paperWidth": width, "paperHeight": height, "preferCSSPageSize": True,
                                               "printBackground": True}, session=session)
        pdf = base64.b64decode(result["data"])
        return pdf, pdf_page_count(pdf)
