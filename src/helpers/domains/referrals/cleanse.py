"""The referral gateway cleanse stage: the centre's extract in, validated measures out.

Order: read (identifiers dropped as the file is read) -> raw gate -> row checks, bad rows to the
quarantine with their reasons -> selection (period, specialties, practices) -> gate on the
cleansed referrals -> measures as at the chosen date -> gates on the measures -> the board's
monthly table, if present, read and reconciled (a mismatch stops the run) -> atomic writes.
Nothing is written unless every critical gate passed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.core import provenance, quality
from helpers.core.config import project_root, source_dir
from helpers.core.errors import QUARANTINE_COLUMNS, SourceFormatError
from helpers.core.stage import StageResult
from helpers.domains.referrals import measures as referrals
from helpers.sources import referral_extract as src

log = logging.getLogger(__name__)

DOMAIN = "referrals"
TABLES = ["cleansed", "monthly", "backlog", "waits", "transfers", "practices", "headline", "booking_information",
          "booking_reconciliation", "quarantine"]
PROVENANCE_FILE = "referrals_provenance.json"


def table_file(name: str) -> str:
    return f"{DOMAIN}_{name}.parquet"


@dataclass
class ReferralsResult(StageResult):
    """What the stage read, held back, checked and wrote, for the notebook to show."""

    skipped: list[Path] = field(default_factory=list)
    dropped_identifiers: list[str] = field(default_factory=list)
    as_at: pd.Timestamp | None = None
    rows_read: int = 0
    rows_selected: int = 0
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def quarantine_summary(self) -> pd.DataFrame:
        q = self.tables.get("quarantine", pd.DataFrame(columns=QUARANTINE_COLUMNS))
        return (q.groupby(["source", "column", "reason"]).agg(rows=("line", "nunique"), example_line=("line", "min"))
                .reset_index().sort_values("rows", ascending=False, ignore_index=True))


def _as_at(value, extract: src.GatewayFile) -> pd.Timestamp:
    if value in (None, "latest"):
        return pd.Timestamp(extract.as_at)
    when = pd.Timestamp(str(value)).normalize()
    if when > pd.Timestamp(extract.as_at):
        raise SourceFormatError(extract.path, f"as-at date {when:%Y-%m-%d} is after the extract's own date "
                                              f"{extract.as_at}; choose a date on or before it")
    return when


def _pick_extract(files: list[src.GatewayFile], as_at) -> src.GatewayFile:
    """The extract dated on (or first after) ``as_at``: the earliest snapshot that has seen it all."""
    extracts = [f for f in files if f.kind == "extract"]
    if as_at in (None, "latest") or not extracts:
        return src.choose_extract(files, "latest")
    when = pd.Timestamp(str(as_at)).date()
    later = [f for f in extracts if f.as_at >= when]
    return later[0] if later else extracts[-1]


def _stop_if_too_many(quarantine: pd.DataFrame, rows: int, limit_pct: float, path: Path) -> None:
    held = quarantine["line"].nunique()
    if rows and 100 * held / rows > limit_pct:
        reasons = quarantine.groupby("reason")["line"].nunique().sort_values(ascending=False).head(3)
        first = int(quarantine["line"].min())
        detail = "; ".join(f"{reason} ({n:,} rows)" for reason, n in reasons.items())
        raise SourceFormatError(path, f"{held:,} of {rows:,} rows ({100 * held / rows:.1f}%) fail the row checks, "
                                      f"more than the {limit_pct}% allowed (referrals.max_quarantine_pct): {detail}",
                                line=first)


def cleanse_referrals(folder: Path, processed_dir: Path, results_dir: Path, root: Path, *, as_at="latest",
                      period="all", specialties="all", practices="all", inflow_window_days: int = 28,
                      max_quarantine_pct: float = 5.0, params: dict | None = None) -> ReferralsResult:
    """Read the gateway files in ``folder``, check, measure as at ``as_at``, gate and write."""
    started = time.perf_counter()
    result = ReferralsResult()
    files, result.skipped = src.discover(folder)
    for path in result.skipped:
        log.info("Passed over %s: not a referral gateway file name (see docs/referral_extract.md)", path.name)
    results_dir.mkdir(parents=True, exist_ok=True)
    for old in results_dir.glob("*.json"):  # results describe this run only
        old.unlink()
    extract = _pick_extract(files, as_at)
    when = result.as_at = _as_at(as_at, extract)
    sizes_file = next((f for f in reversed(files) if f.kind == "list_sizes"), None)
    booking_file = next((f for f in reversed(files) if f.kind == "booking" and f.as_at <= extract.as_at), None)

    list_sizes = src.read_list_sizes(sizes_file.path) if sizes_file else None
    raw, result.dropped_identifiers = src.read_extract(extract.path)
    if result.dropped_identifiers:
        log.info("Dropped identifier column(s) at read: %s", ", ".join(result.dropped_identifiers))
    result.rows_read = len(raw)
    common = dict(results_dir=results_dir, root=root)
    # the raw suite reads only the required columns; GX hashes every column it is given
    result.outcomes.append(quality.gate(raw[src.REQUIRED], "referral_extract.raw", data_name=str(extract.path), row_label="line",
                                        id_columns=["referral_id"], **common))
    cleansed, quarantine = referrals.check_rows(
        raw, extract.name, as_at=pd.Timestamp(extract.as_at),
        known_practices=set(list_sizes["practice_code"]) if list_sizes is not None else None)
    del raw
    _stop_if_too_many(quarantine, result.rows_read, max_quarantine_pct, extract.path)
    log.info("%s: %s rows read, %s held back in quarantine", extract.name, f"{result.rows_read:,}",
             f"{quarantine['line'].nunique():,}")
    cleansed = referrals.select(cleansed, period=period, specialties=specialties, practices=practices)
    cleansed = cleansed[cleansed["received_date"] <= when].reset_index(drop=True)
    result.rows_selected = len(cleansed)
    if cleansed.empty:
        raise SourceFormatError(extract.path, f"no referrals left after the selection (as at {when:%Y-%m-%d}, period "
                                              f"{period}, specialties {specialties}, practices {practices})")
    result.outcomes.append(quality.gate(cleansed.drop(columns=["line"]), "referrals_cleansed.processed",
                                        data_name=f"data/processed/{table_file('cleansed')}",
                                        id_columns=["referral_id"], **common))

    t = result.tables
    t["cleansed"] = cleansed.drop(columns=["line"])
    t["monthly"] = referrals.monthly(cleansed, when)
    t["backlog"] = referrals.backlog_series(cleansed, when, window_days=inflow_window_days)
    t["waits"] = referrals.wait_bands(cleansed, when)
    t["transfers"] = referrals.transfers(cleansed, when)
    t["practices"] = referrals.practice_rates(cleansed, when, list_sizes)
    t["headline"] = referrals.headline(cleansed, when, window_days=inflow_window_days)
    monthly_profile = t["monthly"].assign(
        accounted=lambda m: m["booked"] + m["not_booked"] + m["returned_or_cancelled"])
    result.outcomes.append(quality.gate(monthly_profile, "referrals_monthly.processed",
                                        data_name=f"data/processed/{table_file('monthly')}", **common))
    result.outcomes.append(quality.gate(t["practices"], "referrals_practices.processed",
                                        data_name=f"data/processed/{table_file('practices')}",
                                        id_columns=["practice_code"], **common))

    t["booking_information"], t["booking_reconciliation"], held = _booking(booking_file, result, common)
    t["quarantine"] = pd.concat([quarantine, held], ignore_index=True) if len(held) else quarantine

    used = [f for f in (extract, booking_file, sizes_file) if f is not None]
    for f in used:
        result.files.append({"file": f.name, "kind": f.kind, "as_at": f.as_at, "synthetic": f.synthetic,
                             "megabytes": round(f.path.stat().st_size / 1e6, 3)})
    result.provenance = provenance.record(root, [f.path for f in used], params or {},
                                          synthetic=any(f.synthetic for f in used))
    result.provenance.update({"as_at": f"{when:%Y-%m-%d}", "extract": extract.name,
                              "dropped_identifier_columns": result.dropped_identifiers,
                              "list_sizes": sizes_file.name if sizes_file else None})
    result.written = [provenance.write_parquet(processed_dir / table_file(name), frame) for name, frame in t.items()]
    result.written.append(provenance.write_json(processed_dir / PROVENANCE_FILE, result.provenance))
    log.info("Wrote %d tables as at %s in %.1f s", len(t), f"{when:%d %B %Y}", time.perf_counter() - started)
    return result


def _booking(booking_file, result: ReferralsResult, common: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The board's monthly table read and reconciled (a mismatch stops the run), or empty tables;
    and its rows that could not be placed (for the quarantine)."""
    empty_table = pd.DataFrame({"section": pd.Series(dtype="str"), "measure": pd.Series(dtype="str"),
                                "month": pd.Series(dtype="datetime64[s]"), "value": pd.Series(dtype="float64"),
                                "line": pd.Series(dtype="int64"), "label": pd.Series(dtype="str")})
    empty_checks = pd.DataFrame({"section": pd.Series(dtype="str"), "check": pd.Series(dtype="str"),
                                 "month": pd.Series(dtype="str"), "printed": pd.Series(dtype="float64"),
                                 "computed": pd.Series(dtype="float64"), "difference": pd.Series(dtype="float64")})
    if booking_file is None:
        return empty_table, empty_checks, pd.DataFrame()
    table = src.read_booking_table(booking_file.path)
    unknown = table.attrs.get("unrecognised_rows", [])
    held = pd.DataFrame({"source": "booking_information", "file": booking_file.name, "line": [u[0] for u in unknown],
                         "column": "label", "value": [u[1] for u in unknown],
                         "reason": "row label not recognised; row not read"})
    checks = referrals.reconcile_booking(table)
    result.outcomes.append(quality.gate(checks, "booking_information.reconciliation", data_name=str(booking_file.path),
                                        id_columns=["section", "check", "month"], **common))
    return table.astype({"month": "datetime64[s]"}), checks, held


def run(inputs=None, *, as_at="latest", period="all", specialties="all", practices="all",
        inflow_window_days: int = 28, max_quarantine_pct: float = 5.0, root: Path | None = None) -> ReferralsResult:
    """The stage as the notebook calls it: ``inputs`` is the run's {source: folder} or None."""
    root = root or project_root()
    folder = source_dir(inputs, src.SOURCE_FOLDER, root)
    return cleanse_referrals(
        folder, root / "data" / "processed", root / "build" / "validation" / DOMAIN, root, as_at=as_at,
        period=period, specialties=specialties, practices=practices, inflow_window_days=inflow_window_days,
        max_quarantine_pct=max_quarantine_pct,
        params={"as_at": as_at, "period": period, "specialties": specialties, "practices": practices,
                "inflow_window_days": inflow_window_days, "max_quarantine_pct": max_quarantine_pct})
