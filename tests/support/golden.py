"""The back test: an edition built from the shipped samples against the one recorded in tests/golden/.

What is recorded is what a reader or an analyst gets: every processed table (rows, columns and a
digest of its values) and the text of every published page (packs as digests). Only what differs
from run to run by design is left out: times, hashes, code versions, edition ids, and the tables
that list a run's own settings and input files. A change to a figure or to a page's words fails
the test; when the change is intended, ``make golden`` records the new edition and the diff of
tests/golden/ is reviewed with the change.

    python tests/support/golden.py build              run the samples in a copy, record its edition (make golden)
    python tests/support/golden.py write <project>    record <project>'s edition
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import pandas as pd
from bs4 import BeautifulSoup

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "samples"
VOLATILE = [
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[^\s<]*",          # ISO times
    r"\d{8}T\d{6}\d*Z",                                      # edition ids
    r"\b[0-9a-f]{64}\b", r"\b[0-9a-f]{16}…",                 # input hashes
    r"(?i)code version [^;.]+(\.\d+)*[^;.]*",                 # code version (a commit, or the package version)
    r"published \d+ \w+ \d{4} [\d:]+ UTC", r"Published \S+ \S+",  # when published
]
RUN_TABLES = re.compile(r"(?i)settings|parameters|input files")  # a run's own settings and files
RUN_LINES = re.compile(r"^(Audit copy of step |\(to open in JupyterLab: audit/)")  # audit copies, by stage


def page_text(html: str) -> list[str]:
    # a place to fold a long name is not text (nbconvert writes the tag back as <wbr/>)
    soup = BeautifulSoup(re.sub(r"<wbr\s*/?>", "", html), "html.parser")
    for element in soup(["style", "script"]):
        element.decompose()
    for table in soup.find_all("table"):
        caption = table.find("caption")
        if caption and RUN_TABLES.search(caption.get_text()):
            table.decompose()
    text = soup.get_text("\n")
    for pattern in VOLATILE:
        text = re.sub(pattern, "<run>", text)
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.splitlines())
    return [line for line in lines if line and not RUN_LINES.match(line)]


def table_record(frame: pd.DataFrame) -> dict:
    canonical = frame.astype(str).to_csv(index=False)  # categories and plain text alike
    return {"rows": len(frame), "columns": list(frame.columns),
            "sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest()}


def record(project: Path) -> dict:
    """The edition in ``project`` (reports/latest) and its processed tables, as recorded here."""
    edition = project / "reports" / "latest"
    tables = {p.stem: table_record(pd.read_parquet(p)) for p in sorted((project / "data" / "processed").glob("*.parquet"))}
    pages, packs = {}, {}
    for path in sorted(edition.rglob("*.html")):
        relative = path.relative_to(edition)
        if relative.parts[0] in ("audit", "data-docs"):
            continue  # the executed notebooks and the tool's pages: for audit, not figures
        lines = page_text(path.read_text(encoding="utf-8"))
        if relative.parts[0] == "packs":
            packs[relative.as_posix()] = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
        else:
            pages[relative.as_posix()] = lines
    return {"tables": tables, "pages": pages, "packs": packs}


def write(project: Path, golden: Path = GOLDEN) -> None:
    found = record(project)
    golden.mkdir(parents=True, exist_ok=True)
    for old in golden.glob("*"):
        old.unlink()
    (golden / "tables.json").write_text(json.dumps(found["tables"], indent=1) + "\n", encoding="utf-8")
    (golden / "packs.json").write_text(json.dumps(found["packs"], indent=1) + "\n", encoding="utf-8")
    for name, lines in found["pages"].items():
        (golden / f"{name.replace('/', '__')}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def read(golden: Path = GOLDEN) -> dict:
    pages = {p.name.removesuffix(".txt").replace("__", "/"): p.read_text(encoding="utf-8").splitlines()
             for p in sorted(golden.glob("*.html.txt"))}
    return {"tables": json.loads((golden / "tables.json").read_text(encoding="utf-8")),
            "packs": json.loads((golden / "packs.json").read_text(encoding="utf-8")), "pages": pages}


def build() -> None:
    """Run the pipeline on the samples in a fresh copy of the project and record its edition."""
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from support import copy_project, run_pipeline

    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        project = copy_project(Path(tmp))
        result = run_pipeline(project, "data/raw")
        if result.returncode:
            sys.exit(f"the run on the samples failed (exit {result.returncode}):\n{result.stderr}")
        write(project)


if __name__ == "__main__":
    if sys.argv[1:] == ["build"]:
        build()
    elif len(sys.argv) == 3 and sys.argv[1] == "write":
        write(Path(sys.argv[2]).resolve())
    else:
        sys.exit(__doc__)
    print(f"recorded the edition in {GOLDEN}; review the diff of tests/golden/")
