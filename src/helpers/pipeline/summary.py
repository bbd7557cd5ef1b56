"""The run summary: what changed, which stages ran and for how long, how validation went.

Written at the end of every run, success or failure, as JSON and as a few lines of text (in the
log folder beside the run's log, and as ``build/last_run.json``), printed, and sent by the
notifiers. ``build/last_success.json`` keeps the summary of the last successful run, which the
next run compares its input files with.

Kept free of heavy imports (no pandas, no Great Expectations): it runs on every no-op run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from helpers.core.errors import (
    EXIT_CONFIGURATION,
    EXIT_DATA_QUALITY,
    EXIT_INPUT_MISSING,
    EXIT_INTERNAL,
    EXIT_LOCKED,
    EXIT_OK,
)
from helpers.core.provenance import sha256, write_text

LAST_RUN = "build/last_run.json"
LAST_SUCCESS = "build/last_success.json"
VALIDATION = "build/validation"

MEANINGS = {EXIT_OK: "success", EXIT_INTERNAL: "internal error", EXIT_DATA_QUALITY: "data-quality failure",
            EXIT_INPUT_MISSING: "input missing", EXIT_LOCKED: "locked: another run holds the lock",
            EXIT_CONFIGURATION: "configuration error"}

_RUNNING = re.compile(r"^Running stage '([^']+)'")
_SKIPPED = re.compile(r"^Stage '([^']+)' didn't change, skipping")
_ENDED = re.compile(r"^Stage '([^']+)' (?:finished|failed)")


# --- inputs ----------------------------------------------------------------------------------

def fingerprint(folders: dict[str, str], root: Path, previous: dict | None = None) -> dict:
    """``{source: {file (relative to its folder): {sha256, size, mtime_ns}}}`` for every input file.

    A file whose size and modification time match ``previous`` (the last summary's record) keeps
    its recorded hash, so a run with nothing new does not re-read the inputs.
    """
    previous = previous or {}
    out = {}
    for source, folder in folders.items():
        base = Path(folder) if Path(folder).is_absolute() else root / folder
        known = previous.get(source, {})
        files = {}
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            name = path.relative_to(base).as_posix()
            try:
                stat = path.stat()
                old = known.get(name, {})
                same = old.get("size") == stat.st_size and old.get("mtime_ns") == stat.st_mtime_ns
                files[name] = {"sha256": old["sha256"] if same and old.get("sha256") else sha256(path),
                               "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
            except OSError as exc:  # unreadable: the stage reading it reports that, with its own exit code
                files[name] = {"sha256": None, "error": f"{type(exc).__name__}: {exc.strerror or exc}"}
        out[source] = files
    return out


def changes(current: dict, previous: dict | None) -> dict:
    """Input files added, removed or changed (by content) per source since ``previous``;
    sources with no change are left out. ``None`` when there is nothing to compare with."""
    if previous is None:
        return None
    out = {}
    for source in sorted(set(current) | set(previous)):
        now, before = current.get(source, {}), previous.get(source, {})
        diff = {"added": sorted(set(now) - set(before)), "removed": sorted(set(before) - set(now)),
                "changed": sorted(n for n in set(now) & set(before) if now[n]["sha256"] != before[n]["sha256"])}
        if any(diff.values()):
            out[source] = diff
    return out


# --- stages ----------------------------------------------------------------------------------

@dataclass
class StageClock:
    """Stage timings from the run's output as it is printed.

    A stage starts at its "Running stage 'x'" line and ends at its own "Stage 'x' finished" (or
    "failed") line, so stages that overlap are each timed on their own (``overlapping``, as the
    run's runner prints them). DVC's own output has no end lines and runs one stage at a time:
    there a stage runs until the next "Running stage" line (or the end), so DVC's bookkeeping for
    it counts too.
    """

    overlapping: bool = False
    started: dict[str, float] = field(default_factory=dict)
    ended: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def line(self, text: str, at: float) -> None:
        with self._lock:
            if m := _RUNNING.match(text):
                if not self.overlapping:
                    self._close(self.order[-1:], at)
                self.started[m[1]] = at
                self.order.append(m[1])
            elif m := _SKIPPED.match(text):
                self.skipped.append(m[1])
            elif (m := _ENDED.match(text)) and m[1] in self.started:
                self._close([m[1]], at)

    def _close(self, names: list[str], at: float) -> None:
        for name in names:
            self.ended.setdefault(name, at)

    def finish(self, at: float, failed_stage: str | None = None, failed: bool = False) -> list[dict]:
        """One record per stage: ran / failed / skipped, with seconds for those that ran."""
        with self._lock:
            still_open = [s for s in self.order if s not in self.ended]
            self._close(still_open, at)
            if failed and failed_stage is None and still_open:
                failed_stage = still_open[-1]  # the run stopped while it was running
            rows = [{"stage": s, "status": "failed" if s == failed_stage else "ran",
                     "seconds": round(self.ended[s] - self.started[s], 1)} for s in self.order]
            rows += [{"stage": s, "status": "skipped", "seconds": None} for s in self.skipped if s not in self.order]
            return rows


# --- validation --------------------------------------------------------------------------------

def validation_outcome(results_dir: Path, since: float | None = None) -> dict:
    """Counts over the stored Great Expectations results (the files ``quality.validate`` writes),
    and the first failing critical expectation among those written since ``since`` (a timestamp).

    Read here as plain JSON rather than through ``quality.load_results``: importing Great
    Expectations costs seconds, and this runs on every no-op run.
    """
    outcome = {"suites": 0, "expectations": 0, "failed": 0, "critical_failed": 0, "checked_this_run": 0,
               "first_failure": None}
    if not results_dir.is_dir():
        return outcome
    paths = sorted(results_dir.rglob("*.json"), key=lambda p: (p.stat().st_mtime, str(p)))
    for path in paths:
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
            items = result["results"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        fresh = since is not None and path.stat().st_mtime >= since
        outcome["suites"] += 1
        outcome["checked_this_run"] += fresh
        outcome["expectations"] += len(items)
        for item in items:
            if item.get("success", True):
                continue
            config = item.get("expectation_config", {})
            critical = config.get("severity", "critical") == "critical"
            outcome["failed"] += 1
            outcome["critical_failed"] += critical
            if critical and fresh and outcome["first_failure"] is None:
                outcome["first_failure"] = _describe_failure(result, config, item.get("result", {}))
    return outcome


def _describe_failure(result: dict, config: dict, detail: dict) -> str:
    kwargs = {k: v for k, v in config.get("kwargs", {}).items() if k != "batch_id"}
    args = ", ".join(f"{k}={_short(v)}" for k, v in kwargs.items())
    text = (f"suite '{result.get('suite_name')}' on {result.get('meta', {}).get('data_name', '?')}: "
            f"{config.get('type')}({args})")
    if detail.get("unexpected_count") is not None:
        text += f": {detail['unexpected_count']:,} of {detail.get('element_count', 0):,} rows unexpected"
    elif "observed_value" in detail:
        text += f": observed {_short(detail['observed_value'])}"
    return text


def _short(value, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def first_problem(error: dict | None, validation: dict) -> str | None:
    """What a reader should see first: the stage's own message (for a failed gate, its headline
    and the first failing expectation with its example lines), else the failing result."""
    if error and error.get("message"):
        lines = str(error["message"]).strip().splitlines()
        if lines and lines[0].startswith("Data-quality gate failed"):
            block = [lines[0]]
            for line in lines[1:]:
                if line.startswith("  - ") and len(block) > 1:
                    break  # the second failing expectation
                block.append(line)
            lines = block
        text = "\n".join(lines[:8])
        return f"stage {error['stage']}: {text}" if error.get("stage") else text
    return validation.get("first_failure")


# --- the summary -------------------------------------------------------------------------------

def status(code: int, edition: str | None) -> str:
    if code != EXIT_OK:
        return "failed"
    return "published" if edition else "up to date"


def _utc(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def build(*, code: int, started: float, finished: float, command: str, host: str, log: Path | None,
          inputs: dict, files: dict, previous_success: dict | None, stages: list[dict], validation: dict,
          error: dict | None, edition: str | None) -> dict:
    return {
        "status": status(code, edition), "exit_code": code, "meaning": MEANINGS.get(code, "unknown"),
        "started": _utc(started), "finished": _utc(finished), "seconds": round(finished - started, 1),
        "command": command, "host": host, "log": str(log) if log else None,
        "inputs": inputs,
        "previous_success": (previous_success or {}).get("finished"),
        "changes": changes(files, (previous_success or {}).get("input_files")) if files else None,
        "stages": stages, "validation": validation, "error": error,
        "first_problem": first_problem(error, validation), "edition": edition,
        "input_files": files,
    }


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def text(summary: dict) -> str:
    """A few lines for people: the console, the log, the notification."""
    s = summary
    head = {"published": "Refresh published a new edition", "up to date": "Refresh: nothing had changed",
            "failed": "Refresh FAILED"}[s["status"]]
    lines = [f"{head} (exit {s['exit_code']}: {s['meaning']}) in {s['seconds']:.1f} s, "
             f"started {s['started']} on {s['host']}"]
    if s["changes"] is None:
        lines.append(f"Inputs: {_count(len(s['inputs']), 'source')}; no earlier successful run to compare with")
    elif not s["changes"]:
        lines.append(f"Inputs: {_count(len(s['inputs']), 'source')}; no file changed since the last "
                     f"successful run ({s['previous_success']})")
    else:
        lines.append(f"Inputs changed since the last successful run ({s['previous_success']}):")
        for source, diff in s["changes"].items():
            parts = [f"{kind} {', '.join(names)}" for kind, names in diff.items() if names]
            lines.append(f"  {source}: {'; '.join(parts)}")
    ran = [st for st in s["stages"] if st["status"] != "skipped"]
    skipped = [st["stage"] for st in s["stages"] if st["status"] == "skipped"]
    if ran:
        lines.append("Stages: " + ", ".join(f"{st['stage']} {st['seconds']:.1f} s"
                                             + (" (FAILED)" if st["status"] == "failed" else "") for st in ran)
                     + (f"; {len(skipped)} unchanged" if skipped else ""))
    elif skipped:
        lines.append(f"Stages: none ran ({len(skipped)} unchanged)")
    v = s["validation"]
    lines.append(f"Validation: {_count(v['suites'], 'suite')}, {_count(v['expectations'], 'expectation')} "
                 f"({_count(v['checked_this_run'], 'suite')} checked in this run), {v['failed']} failed "
                 f"({v['critical_failed']} critical)")
    if s["first_problem"]:
        lines.append("First problem: " + s["first_problem"].replace("\n", "\n  "))
    if s["edition"]:
        lines.append(f"Edition published: {s['edition']}")
    elif s["status"] == "failed":
        lines.append("Nothing was published; reports/ keeps the last good edition.")
    if s["log"]:
        lines.append(f"Log: {s['log']}")
    return "\n".join(lines)


def load(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write(summary: dict, root: Path, *, json_path: Path | None, text_path: Path | None) -> None:
    """The run's files in the log folder, ``build/last_run.json``, and on success ``build/last_success.json``."""
    data = json.dumps(summary, indent=1)
    targets = [root / LAST_RUN] + ([root / LAST_SUCCESS] if summary["exit_code"] == EXIT_OK else [])
    for path in filter(None, [json_path, *targets]):
        write_text(path, data)
    if text_path is not None:
        write_text(text_path, text(summary) + "\n")
