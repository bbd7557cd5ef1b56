"""Reader for an action plan kept as a programme team keeps it (XLSX or CSV).

Columns ``Action`` (text starting with its reference, e.g. ``1.2 Appoint Performance Manager``,
or a separate ``Ref`` column), ``Lead``, ``Timescale``, ``Progress/Milestones`` and optionally
``Status``, under a title block. A row ``3. Smoking Cessation`` with nothing else opens a
section; a row with no action text but a timescale or progress is a further milestone of the
action above. Cells may hold several lines (one per milestone).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from helpers.core.errors import SourceFormatError
from helpers.sources._common import PassedOver
from helpers.sources._common import discover as _discover
from helpers.sources._common import passed_over as _passed_over
from helpers.sources.qipp_tracker import _cells, _text

SOURCE_FOLDER = "action_plan"
DEFAULT_FILE_PATTERN = r"(?i)^.*action.?plan.*\.(xlsx|csv)$"
HEADER_SEARCH_ROWS = 30
HEADER_NAMES = {
    "ref": "ref", "reference": "ref", "no": "ref", "no.": "ref", "action": "action", "actions": "action",
    "lead": "lead", "leads": "lead", "owner": "lead", "timescale": "timescale", "timescales": "timescale",
    "deadline": "timescale", "progress/milestones": "progress", "progress / milestones": "progress",
    "progress": "progress", "milestones": "progress", "status": "status", "rag": "status",
}
REQUIRED = ["action", "lead", "timescale", "progress"]
SECTION = re.compile(r"^(?P<ref>\d+)\.\s+(?P<text>\D.*)$", re.S)
ACTION = re.compile(r"^(?P<ref>\d+(?:\.\d+)+)\.?\s+(?P<text>.*)$", re.S)


def discover(folder: Path, pattern: str = DEFAULT_FILE_PATTERN) -> list[Path]:
    return _discover(folder, pattern, "action plan (XLSX or CSV)")


def passed_over(folder: Path, pattern: str = DEFAULT_FILE_PATTERN) -> list[PassedOver]:
    return _passed_over(folder, [pattern], "an action plan (a name with 'action plan', XLSX or CSV; "
                                           "actions.file_pattern)")


def _header(row: list) -> dict[int, str]:
    out = {}
    for i, v in enumerate(row):
        key = re.sub(r"\s+", " ", _text(v).lower())
        if key in HEADER_NAMES and HEADER_NAMES[key] not in out.values():
            out[i] = HEADER_NAMES[key]
    return out


def read(path: Path) -> pd.DataFrame:
    """One row per non-empty line under the header: row_type section / action / milestone."""
    rows = _cells(path)
    if not any(_text(v) for r in rows for v in r):
        raise SourceFormatError(path, "the file is empty (expected an action plan sheet)")
    h = next((i for i, r in enumerate(rows[:HEADER_SEARCH_ROWS]) if set(REQUIRED) <= set(_header(r).values())), None)
    if h is None:
        raise SourceFormatError(path, f"no header row with {', '.join(repr(c.title()) for c in REQUIRED)} "
                                      f"in the first {HEADER_SEARCH_ROWS} rows")
    columns = {name: i for i, name in _header(rows[h]).items()}
    records, section_ref, section, current, seq = [], None, None, None, 0
    for i in range(h + 1, len(rows)):
        row = rows[i]
        cell = {n: _text(row[j]) if j < len(row) else "" for n, j in columns.items()}
        if not any(cell.values()):
            continue
        line, text = i + 1, cell["action"]
        ref = cell.get("ref", "")
        rest = any(cell.get(c) for c in ("lead", "timescale", "progress", "status"))
        m_section = SECTION.match(text) if not ref else None
        if m_section and not rest:
            section_ref, section = m_section["ref"], m_section["text"].strip()
            records.append({"line": line, "row_type": "section", "section_ref": section_ref, "section": section})
            continue
        if text or ref:
            m = ACTION.match(text)
            if not ref:
                ref, text = (m["ref"], m["text"].strip()) if m else (f"line {line}", text)
            current, seq = ref, seq + 1
            kind = "action"
        elif current is None:
            raise SourceFormatError(path, "a milestone row (timescale or progress, no action) before any action",
                                    line=line, column="Action")
        else:
            kind, ref = "milestone", current
        records.append({"line": line, "row_type": kind, "action_seq": seq, "section_ref": section_ref,
                        "section": section, "ref": ref,
                        "action": text if kind == "action" else None, "lead": cell["lead"] or None,
                        "timescale": cell["timescale"] or None, "progress": cell["progress"] or None,
                        "status": cell.get("status") or None})
    frame = pd.DataFrame.from_records(records)
    if frame.empty or not (frame["row_type"] == "action").any():
        raise SourceFormatError(path, "no action rows under the header", line=h + 1)
    for c in ["ref", "action", "lead", "timescale", "progress", "status"]:
        if c not in frame:
            frame[c] = None
    return frame.set_index("line")
