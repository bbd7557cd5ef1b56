"""Named ways of spoiling a copy of a shipped sample file, used by ``corpus.yaml``.

Each takes the path of the file (in a temporary copy of the source's folder) and the case's
``args``, and changes the file in place (or beside it). CSV edits keep the file's own line
endings and byte-order mark, so only the named change differs from the sample.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from pathlib import Path

BOM = b"\xef\xbb\xbf"
NHS_NUMBER = "9434765919"  # a valid check digit; the number the NHS publishes for testing


# --- CSV files ---------------------------------------------------------------------------------------

def _load(path: Path) -> tuple[list[list[str]], bool, str, bool]:
    raw = path.read_bytes()
    zipped = path.name.endswith(".gz")
    data = gzip.decompress(raw) if zipped else raw
    bom = data.startswith(BOM)
    text = data.decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text[:5000] else "\n"
    return [row for row in csv.reader(io.StringIO(text, newline=""))], bom, newline, zipped


def _save(path: Path, rows: list[list[str]], bom: bool, newline: str, zipped: bool, encoding: str = "utf-8") -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    data = (BOM if bom else b"") + out.getvalue().encode(encoding)
    path.write_bytes(gzip.compress(data) if zipped else data)


def _edit(path: Path, change) -> None:
    rows, bom, newline, zipped = _load(path)
    change(rows)
    _save(path, rows, bom, newline, zipped)


def _column(rows: list[list[str]], name: str, header_line: int = 1) -> int:
    return [c.strip() for c in rows[header_line - 1]].index(name)


def set_cell(path: Path, line: int, column: str, value: str, header_line: int = 1) -> None:
    """One cell (by file line and header name) set to ``value``."""
    def change(rows):
        rows[line - 1][_column(rows, column, header_line)] = value
    _edit(path, change)


def set_cell_at(path: Path, line: int, index: int, value: str) -> None:
    """One cell of a headerless file, by line and 0-based position."""
    def change(rows):
        rows[line - 1][index] = value
    _edit(path, change)


def drop_column(path: Path, column: str) -> None:
    def change(rows):
        i = _column(rows, column)
        for row in rows:
            del row[i]
    _edit(path, change)


def rename_column(path: Path, old: str, new: str) -> None:
    def change(rows):
        rows[0][_column(rows, old)] = new
    _edit(path, change)


def duplicate_line(path: Path, line: int) -> None:
    """A data line repeated right after itself (a duplicate key)."""
    _edit(path, lambda rows: rows.insert(line, list(rows[line - 1])))


def lines_above_header(path: Path, lines: list[str]) -> None:
    """Title lines inserted above the header, as when someone exports with a heading."""
    def change(rows):
        width = len(rows[0])
        for text in reversed(lines):
            rows.insert(0, [text] + [""] * (width - 1))
    _edit(path, change)


def add_bom(path: Path) -> None:
    data = path.read_bytes()
    assert not data.startswith(BOM)
    path.write_bytes(BOM + data)


def cp1252_pound(path: Path, line: int, column: str, value: str) -> None:
    """A cell holding a pound sign, and the whole file re-saved as Windows-1252 (Excel's "CSV")."""
    rows, bom, newline, zipped = _load(path)
    rows[line - 1][_column(rows, column)] = value
    _save(path, rows, False, newline, zipped, encoding="cp1252")


# --- any file ------------------------------------------------------------------------------------------

def truncate(path: Path, fraction: float = 0.5) -> None:
    """Cut off, as an interrupted download or copy leaves a file."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])


def empty(path: Path) -> None:
    path.write_bytes(b"")


def sparse(path: Path, gigabytes: float = 2.0) -> None:
    """The file replaced by a sparse one of the given size: no disk space used, nothing to read."""
    path.write_bytes(b"")
    os.truncate(path, int(gigabytes * 1024 ** 3))


def rename(path: Path, name: str, replace: dict[str, str] | None = None) -> None:
    """The file renamed, its text optionally edited (e.g. a month in the name and the rows)."""
    data = path.read_bytes()
    for old, new in (replace or {}).items():
        data = data.replace(old.encode(), new.encode())
    path.unlink()
    (path.parent / name).write_bytes(data)


def copy_as(path: Path, name: str) -> None:
    """A second copy beside the file, under another name (a revised month, an open workbook's lock file)."""
    (path.parent / name).write_bytes(path.read_bytes())


def zip_as(path: Path, name: str, member: str | None = None, keep: bool = False) -> None:
    """The file zipped as the publisher ships it, holding it as ``member`` (default its own name);
    the file itself removed unless ``keep``."""
    import zipfile

    with zipfile.ZipFile(path.parent / name, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(member or path.name, path.read_bytes())
    if not keep:
        path.unlink()


# --- workbooks -----------------------------------------------------------------------------------------

def _book(path: Path):
    import openpyxl

    return openpyxl.load_workbook(path)


def xlsx_set(path: Path, cell: str, value, sheet: str | None = None) -> None:
    book = _book(path)
    (book[sheet] if sheet else book.worksheets[0])[cell] = value
    book.save(path)


def xlsx_set_text(path: Path, cell: str, value: str, sheet: str | None = None) -> None:
    """A text cell, stored as text even when it begins with '=' (as a CSV import or a typed
    apostrophe leaves it): openpyxl would otherwise save it as a formula."""
    book = _book(path)
    target = (book[sheet] if sheet else book.worksheets[0])[cell]
    target.value = value
    target.data_type = "s"
    book.save(path)


def xlsx_add(path: Path, cell: str, amount: float, sheet: str | None = None) -> None:
    """A number cell changed by ``amount`` (a printed figure that no longer adds up)."""
    book = _book(path)
    ws = book[sheet] if sheet else book.worksheets[0]
    ws[cell] = ws[cell].value + amount
    book.save(path)


def xlsx_merge(path: Path, cells: str, sheet: str | None = None) -> None:
    """Cells merged as someone tidying the sheet would: only the top-left value survives."""
    book = _book(path)
    (book[sheet] if sheet else book.worksheets[0]).merge_cells(cells)
    book.save(path)


def xlsx_insert_rows(path: Path, at: int, count: int, sheet: str | None = None) -> None:
    """Rows inserted above ``at`` (a header moved down). Existing merges are dropped first:
    openpyxl does not move them, and a stale merge would hide the moved cells."""
    book = _book(path)
    ws = book[sheet] if sheet else book.worksheets[0]
    for merged in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(merged))
    ws.insert_rows(at, count)
    book.save(path)


def xlsx_rename_sheet(path: Path, old: str, new: str) -> None:
    book = _book(path)
    book[old].title = new
    book.save(path)


def xlsx_to_cp1252_csv(path: Path, name: str) -> None:
    """The first sheet saved as Windows-1252 CSV (Excel's plain "CSV" on Windows), workbook removed."""
    book = _book(path)
    rows = [["" if v is None else v for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    (path.parent / name).write_bytes(out.getvalue().encode("cp1252"))
    path.unlink()


MUTATIONS = {f.__name__: f for f in (
    set_cell, set_cell_at, drop_column, rename_column, duplicate_line, lines_above_header, add_bom, cp1252_pound,
    truncate, empty, sparse, rename, copy_as, zip_as, xlsx_set, xlsx_set_text, xlsx_add, xlsx_merge, xlsx_insert_rows,
    xlsx_rename_sheet, xlsx_to_cp1252_csv)}


def apply(folder: Path, file: str, mutation: str, args: dict | None = None) -> None:
    """Spoil ``folder/file`` with the named mutation (``{nhs_number}`` in a text argument is filled in)."""
    args = {k: v.replace("{nhs_number}", NHS_NUMBER) if isinstance(v, str) else v for k, v in (args or {}).items()}
    MUTATIONS[mutation](folder / file, **args)


# --- hostile names: valid files whose names are markup or spreadsheet formulas ---------------------------

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'

# (source, file, mutation, args): every edit changes a name shown in a report, never a count
HOSTILE_NAMES = [
    ("referral_gateway", "SYNTHETIC_practice_list_sizes.csv", "set_cell",
     {"line": 2, "column": "practice_name", "value": f"{SCRIPT} Practice"}),
    ("referral_gateway", "SYNTHETIC_practice_list_sizes.csv", "set_cell",
     {"line": 3, "column": "practice_name", "value": FORMULA}),
    ("qipp_tracker", "TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12.xlsx", "xlsx_set", {"cell": "A6", "value": SCRIPT}),
    ("qipp_tracker", "TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12.xlsx", "xlsx_set_text",
     {"cell": "A7", "value": FORMULA}),
    # records of the plan (not physical lines: progress cells span several): 5 is action 1.1, 6 is 1.2
    ("action_plan", "TRANSCRIBED_Harrow_PCT_action_plan_2003-04.csv", "set_cell_at",
     {"line": 5, "index": 0, "value": f"1.1 {SCRIPT}"}),
    ("action_plan", "TRANSCRIBED_Harrow_PCT_action_plan_2003-04.csv", "set_cell_at",
     {"line": 6, "index": 0, "value": f"1.2 {FORMULA}"}),
]


def hostile_inputs(raw: Path, dest: Path) -> Path:
    """``dest/<source>/`` copies of the samples in ``raw`` with the names of ``HOSTILE_NAMES``."""
    import shutil

    for source in sorted({s for s, *_ in HOSTILE_NAMES}):
        shutil.copytree(raw / source, dest / source)
    for source, file, mutation, args in HOSTILE_NAMES:
        apply(dest / source, file, mutation, args)
    return dest
