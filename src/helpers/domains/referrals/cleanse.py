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
from pathlib import Path

import pandas as pd

from helpers.core import provenance, quality, stage
from helpers.core.config import Project, table_file
from helpers.core.errors import SourceFormatError
from helpers.core.stage import StageResult
from helpers.domains.referrals import measures as referrals
from helpers.domains.referrals.settings import CleanseSettings
from helpers.sources import referral_extract as src

log = logging.getLogger(__name__)

DOMAIN = "referrals"
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


def run(inputs: dict[str, Path], settings: CleanseSettings, project: Project) -> StageResult:
    """Read the gateway files, check, measure as at the chosen date, gate and write."""
    started = time.perf_counter()
    s = settings
    result = stage.start(DOMAIN, project)
    files, result.skipped = src.discover(inputs[src.SOURCE_FOLDER])
    as_at = s.as_at
    extract = _pick_extract(files, as_at)
    when = _as_at(as_at, extract)
    sizes_file = next((f for f in reversed(files) if f.kind == "list_sizes"), None)
    booking_file = next((f for f in reversed(files) if f.kind == "booking" and f.as_at <= extract.as_at), None)
    result.skipped += src.not_used(files, [extract, sizes_file, booking_file])
    stage.log_skipped(result)

    list_sizes = src.read_list_sizes(sizes_file.path) if sizes_file else None
    raw, dropped = src.read_extract(extract.path)
    if dropped:
        log.info("Dropped identifier column(s) at read: %s", ", ".join(dropped))
    rows_read = len(raw)
    common = dict(results_dir=project.validation(DOMAIN), root=project.root)
    # the raw suite reads only the required columns; GX hashes every column it is given
    result.outcomes.append(quality.gate(raw[src.REQUIRED], "referral_extract.raw", data_name=str(extract.path), row_label="line",
                                        id_columns=["referral_id"], **common))
    cleansed, quarantine = referrals.check_rows(
        raw, extract.name, as_at=pd.Timestamp(extract.as_at),
        known_practices=set(list_sizes["practice_code"]) if list_sizes is not None else None)
    del raw
    _stop_if_too_many(quarantine, rows_read, s.max_quarantine_pct, extract.path)
    log.info("%s: %s rows read, %s held back in quarantine", extract.name, f"{rows_read:,}",
             f"{quarantine['line'].nunique():,}")
    cleansed = referrals.select(cleansed, period=s.period, specialties=s.specialties, practices=s.practices)
    cleansed = cleansed[cleansed["received_date"] <= when].reset_index(drop=True)
    if cleansed.empty:
        raise SourceFormatError(extract.path, f"no referrals left after the selection (as at {when:%Y-%m-%d}, period "
                                              f"{s.period}, specialties {s.specialties}, practices {s.practices})")
    result.outcomes.append(quality.gate(cleansed.drop(columns=["line"]), "referrals_cleansed.processed",
                                        data_name=f"data/processed/{table_file(DOMAIN, 'cleansed')}",
                                        id_columns=["referral_id"], **common))

    t = result.tables
    t["cleansed"] = cleansed.drop(columns=["line"])
    t["monthly"] = referrals.monthly(cleansed, when)
    t["backlog"] = referrals.backlog_series(cleansed, when, window_days=s.inflow_window_days)
    t["waits"] = referrals.wait_bands(cleansed, when)
    t["transfers"] = referrals.transfers(cleansed, when)
    t["practices"] = referrals.practice_rates(cleansed, when, list_sizes)
    t["headline"] = referrals.headline(cleansed, when, window_days=s.inflow_window_days)
    monthly_profile = t["monthly"].assign(
        accounted=lambda m: m["booked"] + m["not_booked"] + m["returned_or_cancelled"])
    result.outcomes.append(quality.gate(monthly_profile, "referrals_monthly.processed",
                                        data_name=f"data/processed/{table_file(DOMAIN, 'monthly')}", **common))
    result.outcomes.append(quality.gate(t["practices"], "referrals_practices.processed",
                                        data_name=f"data/processed/{table_file(DOMAIN, 'practices')}",
                                        id_columns=["practice_code"], **common))

    t["booking_information"], t["booking_reconciliation"], held = _booking(booking_file, result, common)
    t["quarantine"] = pd.concat([quarantine, held], ignore_index=True) if len(held) else quarantine

    used = [f for f in (extract, booking_file, sizes_file) if f is not None]
    for f in used:
        result.files.append({"file": f.name, "kind": f.kind, "as_at": f.as_at, "synthetic": f.synthetic,
                             "megabytes": round(f.path.stat().st_size / 1e6, 3)})
    result.provenance = provenance.record(project.root, [f.path for f in used], s.as_dict(),
                                          synthetic=any(f.synthetic for f in used))
    result.provenance.update({"as_at": f"{when:%Y-%m-%d}", "extract": extract.name,
                              "dropped_identifier_columns": dropped,
                              "list_sizes": sizes_file.name if sizes_file else None})
    result.facts.update({"as at": f"{when:%d %B %Y}", "rows read": rows_read, "referrals kept": len(cleansed),
                         "identifier columns dropped at read": ", ".join(dropped) or "none"})
    stage.write(result, project)
    log.info("Wrote %d tables as at %s in %.1f s", len(t), f"{when:%d %B %Y}", time.perf_counter() - started)
    return result


def _booking(booking_file, result: StageResult, common: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
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
