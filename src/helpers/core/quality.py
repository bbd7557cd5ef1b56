"""Great Expectations (GX Core 1.x) gates.

Suites are JSON files in ``expectations/`` (one per dataset and stage, reviewed like code). Each
expectation carries a GX ``severity``: a failing ``critical`` one stops the pipeline with a
:class:`~helpers.errors.DataQualityError` naming the file, the expectation and example rows;
``warning`` ones are recorded and shown in the report's data-quality section.

Every validation result is written as JSON so that a later stage can publish GX Data Docs
from all of them, whichever process produced them.

Great Expectations is imported on first use (a gate, a suite, Data Docs), not with this module:
it takes seconds, and report notebooks that only read stored results never need it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import json
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from helpers.core.config import project_root
from helpers.core.errors import DataQualityError
from helpers.core.provenance import write_text

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

EXAMPLES = 5
CRITICAL = "critical"


def _gx():
    """The ``great_expectations`` package, imported now (with analytics off: no network here)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations

    return great_expectations


@dataclass
class Failure:
    """One expectation that did not hold."""

    expectation: str
    kwargs: dict
    severity: str
    unexpected: int | None
    checked: int | None
    examples: list[str] = field(default_factory=list)
    observed: object = None

    def describe(self) -> str:
        args = ", ".join(f"{k}={_short(v, 120)}" for k, v in self.kwargs.items())
        head = f"{self.expectation}({args})"
        if self.unexpected is not None:
            head += f": {self.unexpected:,} of {self.checked:,} rows unexpected"
        elif self.observed is not None:
            head += f": observed {_short(self.observed)}"
        return "\n".join([head, *(f"    {e}" for e in self.examples)])


@dataclass
class Outcome:
    """The result of validating one table against one suite."""

    suite: str
    data_name: str
    success: bool
    evaluated: int
    failures: list[Failure]
    result_path: Path | None = None

    @property
    def critical(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == CRITICAL]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity != CRITICAL]

    def message(self) -> str:
        lines = [f"Data-quality gate failed: suite '{self.suite}' on {self.data_name}"]
        for failure in self.critical:
            lines.append("  - " + failure.describe().replace("\n", "\n  "))
        return "\n".join(lines)


def _short(value, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


class _ThreadMuted(io.TextIOBase):
    """``sys.stdout`` dropping what the threads in ``muted`` write, passing on what the others write."""

    def __init__(self, stream):
        super().__init__()
        self.stream, self.muted = stream, set()

    def write(self, text: str) -> int:
        return len(text) if threading.get_ident() in self.muted else self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name):  # encoding, fileno, ... as the stream has them
        return getattr(self.stream, name)


_MUTING = threading.Lock()


@contextlib.contextmanager
def muted_here():
    """Drop what this thread prints meanwhile (GX's chatter). Not ``redirect_stdout``, which swaps
    ``sys.stdout`` for every thread: a run's stage lines, printed by other threads while Data Docs
    are built in the background, would be lost from the console and the log."""
    me = threading.get_ident()
    with _MUTING:
        proxy = sys.stdout if isinstance(sys.stdout, _ThreadMuted) else _ThreadMuted(sys.stdout)
        sys.stdout = proxy
        proxy.muted.add(me)
    try:
        yield
    finally:
        with _MUTING:
            proxy.muted.discard(me)
            if not proxy.muted and sys.stdout is proxy:  # replaced meanwhile (a run's log ended): left be
                sys.stdout = proxy.stream


def _new_context():
    """An in-memory GX context: suites come from expectations/, results are written as JSON."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    gx = _gx()
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
    )
    with muted_here():  # GX prints set-up chatter
        return gx.get_context(project_config=config)


@lru_cache(maxsize=1)
def _context():
    return _new_context()


def suite_path(name: str, root: Path | None = None) -> Path:
    return (root or project_root()) / "expectations" / f"{name}.json"


def load_suite(name: str, root: Path | None = None) -> gx.ExpectationSuite:
    """The named suite from ``expectations/<name>.json``."""
    with open(suite_path(name, root), encoding="utf-8") as f:
        spec = json.load(f)
    if spec.get("name") != name:
        raise ValueError(f"{suite_path(name, root)}: suite name {spec.get('name')!r} should be {name!r}")
    return _gx().ExpectationSuite(name=name, expectations=spec["expectations"], meta=spec.get("meta", {}))


RowLabel = str | Callable[[object], str]


def _where(index, row_label: RowLabel) -> str:
    """Where a row is, for a reader: "line 12", or what a callable makes of the index (a batch of
    files names the file and its line)."""
    return row_label(index) if callable(row_label) else f"{row_label} {index}"


def _examples(result: dict, frame: pd.DataFrame, id_columns: list[str], row_label: RowLabel,
              column: str | None = None) -> list[str]:
    indexes = result.get("partial_unexpected_index_list") or []
    values = result.get("partial_unexpected_list") or []
    out = []
    for i, value in enumerate(values[:EXAMPLES]):
        where = ""
        if i < len(indexes):
            index = indexes[i]
            if isinstance(index, dict):  # GX names the entry after a named index
                index = index.get(frame.index.name, next(iter(index.values()), None))
            where = f"{_where(index, row_label)}: "
            if index in frame.index and frame.index.is_unique:
                if id_columns:
                    ids = frame.loc[index, id_columns]
                    where += "(" + ", ".join(f"{c}={ids[c]}" for c in id_columns) + ") "
                if column is not None:  # as stored, not as widened for GX (see _comparable)
                    value = frame.at[index, column]
                    value = value.item() if hasattr(value, "item") else value
        out.append(f"{where}value {_short(value, 120)}")
    return out


def _failures(result_dict: dict, frame: pd.DataFrame, id_columns: list[str], row_label: RowLabel,
              widened: frozenset[str] = frozenset()) -> list[Failure]:
    failures = []
    for item in result_dict["results"]:
        if item["success"]:
            continue
        config = item["expectation_config"]
        result = item.get("result") or {}
        column = config["kwargs"].get("column")
        examples = _examples(result, frame, id_columns, row_label, column if column in widened else None)
        mismatched = (result.get("details") or {}).get("mismatched")
        if isinstance(mismatched, dict):  # column-set expectations: {"unexpected": [...], "missing": [...]}
            examples = [f"{kind} column(s): {', '.join(map(str, names))}" for kind, names in mismatched.items() if names]
        elif mismatched:  # ordered-list expectations: one entry per position that differs
            examples = [_short(m, 160) for m in mismatched[:EXAMPLES]]
        if item.get("exception_info", {}).get("raised_exception"):
            examples.append("GX raised: " + str(item["exception_info"].get("exception_message"))[:200])
        failures.append(Failure(
            expectation=config["type"],
            kwargs={k: v for k, v in config["kwargs"].items() if k != "batch_id"},
            severity=config.get("severity", CRITICAL),
            unexpected=result.get("unexpected_count"),
            checked=result.get("element_count"),
            examples=examples,
            observed=result.get("observed_value"),
        ))
    return failures


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _comparable(frame: pd.DataFrame, suite: gx.ExpectationSuite) -> tuple[pd.DataFrame, frozenset[str]]:
    """``frame`` with the columns a range expectation checks widened to 64 bits where that keeps every
    value exactly: GX compares an int64 or float64 column with its bounds in one vectorised step, but
    any other numeric column (Int16, int32, nullable Int64) value by value in Python, seconds for a
    table of pathways. Missing values stay missing (NaN), which GX leaves out of the range check as
    it leaves out NA. Also returns the names of the columns widened."""
    columns = {e.column for e in suite.expectations if e.expectation_type == "expect_column_values_to_be_between"}
    widened = {}
    for name in columns & set(frame.columns):
        values = frame[name]
        kind = values.dtype.kind
        if kind not in "iuf" or values.dtype in ("int64", "float64"):
            continue
        if kind == "f":
            widened[name] = values.astype("float64")
        elif not values.hasnans and (kind == "i" or values.max() <= 2**63 - 1):
            widened[name] = values.astype("int64")
        elif values.dtype.itemsize <= 4 or values.abs().max() < 2**53:  # exact as a float
            widened[name] = values.astype("float64")
    return (frame.assign(**widened) if widened else frame), frozenset(widened)


def validate(frame: pd.DataFrame, suite_name: str, *, data_name: str, results_dir: Path | None = None,
             id_columns: list[str] | None = None, row_label: RowLabel = "row",
             root: Path | None = None, meta: dict | None = None) -> Outcome:
    """Validate ``frame`` against a stored suite; write the GX result JSON into ``results_dir``.

    ``row_label`` says where a failing row is (a word put before its index, or a callable of the
    index); ``meta`` is added to the stored result's (the files a batch was made of, say)."""
    context = _context()
    suite = load_suite(suite_name, root)
    source = context.data_sources.add_or_update_pandas(_safe(f"{suite_name}__{data_name}"))
    asset = source.add_dataframe_asset(name="table")
    checked, widened = _comparable(frame, suite)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": checked})
    result = batch.validate(suite, result_format={"result_format": "SUMMARY",
                                                  "partial_unexpected_count": EXAMPLES})
    result_dict = result.to_json_dict()
    result_dict["meta"].update(meta or {}, data_name=data_name)
    path = None
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        path = results_dir / f"{_safe(suite_name)}__{_safe(Path(data_name).name)}.json"
        write_text(path, json.dumps(result_dict, indent=1, default=str))
    return Outcome(suite_name, data_name, bool(result.success), len(result_dict["results"]),
                   _failures(result_dict, frame, id_columns or [], row_label, widened), path)


def gate(frame: pd.DataFrame, suite_name: str, **kwargs) -> Outcome:
    """:func:`validate`, raising :class:`DataQualityError` if a critical expectation failed."""
    outcome = validate(frame, suite_name, **kwargs)
    if outcome.critical:
        raise DataQualityError(outcome.message())
    return outcome


def load_results(results_dir: Path) -> list[dict]:
    """Every stored validation result in ``results_dir`` and its subfolders (one per domain), in order."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(results_dir.rglob("*.json"))]


def data_label(name: str) -> str:
    """What a validation checked, as a reader's page names it: an input by its file name, an output as
    the processed table it is (not its file format)."""
    path = Path(name)
    return f"{path.stem} (processed table)" if path.suffix == ".parquet" else path.name


def outcome(critical: int, warnings: int) -> str:
    """A gate's outcome in words: only a critical failure stops a run, so only it is "Failed"."""
    if critical:
        return "Failed"
    return f"Passed with {warnings} warning{'s' if warnings != 1 else ''}" if warnings else "Passed"


def results_table(results: list[dict]) -> pd.DataFrame:
    """One row per validation: suite, data, outcome and counts, for the report's appendix."""
    rows = []
    for r in results:
        failed = [i for i in r["results"] if not i["success"]]
        critical = sum(1 for i in failed if i["expectation_config"].get("severity", CRITICAL) == CRITICAL)
        rows.append({
            "suite": r["suite_name"],
            "data": data_label(r["meta"].get("data_name", "")),
            "expectations": len(r["results"]),
            "passed": len(r["results"]) - len(failed),
            "warnings": len(failed) - critical,
            "critical failures": critical,
            "outcome": outcome(critical, len(failed) - critical),
        })
    return pd.DataFrame(rows)


def _escaped(value):
    """Every string inside ``value`` HTML-escaped (lists and dicts rebuilt, their keys kept)."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


def escaped_for_docs(stored: dict) -> dict:
    """A stored result with the text that came from the data HTML-escaped, for Data Docs.

    GX's renderer puts unexpected values, observed values (a file's own column names, say) and
    expectation arguments into its pages as they are, so a cell holding ``<script>`` would run
    in a reader's browser. Escaping them first makes the pages show the text instead. The
    expectation types and argument names, which GX looks up, are left alone.
    """
    out = dict(stored)
    out["results"] = [{**item, "result": _escaped(item.get("result") or {}),
                       "exception_info": _escaped(item.get("exception_info") or {}),
                       "expectation_config": {**item["expectation_config"],
                                              "kwargs": _escaped(item["expectation_config"].get("kwargs") or {})}}
                      for item in stored.get("results", [])]
    out["meta"] = {**stored.get("meta", {}), **({"data_name": _escaped(stored["meta"]["data_name"])}
                                               if "data_name" in stored.get("meta", {}) else {})}
    return out


def build_data_docs(results_dir: Path, site_dir: Path, root: Path | None = None) -> Path:
    """Render GX Data Docs for every stored result into ``site_dir``; returns its index.html.

    Runs are named after their results' folder (the domain); an edition names them after the
    stage and itself (:func:`build_edition_docs`).
    """
    return build_edition_docs(results_dir, site_dir, root)


def run_id(stored: dict, *, stage: str, edition: str = "") -> RunIdentifier:
    """The run a stored result belongs to: its stage and edition, at the time it was validated.

    Results are stored without a run (GX then shows ``__none__``); the batch's load time, which
    GX records as it validates, is the moment of validation.
    """
    from great_expectations.core.run_identifier import RunIdentifier

    loaded = (stored.get("meta", {}).get("batch_markers") or {}).get("ge_load_time")
    try:
        when = dt.datetime.strptime(loaded, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
    except (TypeError, ValueError):
        when = None  # GX takes the present moment
    return RunIdentifier(run_name=f"{stage}@{edition}" if edition else stage, run_time=when)


def _stored_by_domain(results_dir: Path) -> list[tuple[str, dict]]:
    """Each stored result with the folder it sits in (its domain), in :func:`load_results`'s order."""
    return [(p.parent.name if p.parent != results_dir else "pipeline", json.loads(p.read_text(encoding="utf-8")))
            for p in sorted(results_dir.rglob("*.json"))]


def build_edition_docs(results_dir: Path, site_dir: Path, root: Path | None = None, *, edition: str = "",
                       stages: dict[str, str] | None = None) -> Path:
    """GX Data Docs for every stored result in ``site_dir``, made to publish; returns its index.html.

    ``stages`` names the stage that wrote each domain's results folder (default: the domain);
    runs are named ``<stage>@<edition>``. The pages load only the pinned copies shipped beside
    them and carry none of GX's promotion (:mod:`helpers.render.data_docs`).
    """
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from helpers.render import data_docs

    context = _new_context()  # a fresh one: only this site, only the stored results
    site = f"edition {edition}" if edition else "site"  # GX heads the index "Data Docs | <site>"
    context.add_data_docs_site(site, {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    schema = ExpectationSuiteValidationResultSchema()
    seen = set()
    for number, (domain, stored) in enumerate(_stored_by_domain(results_dir)):
        name = stored["suite_name"]
        if name not in seen:
            context.suites.add(load_suite(name, root))
            seen.add(name)
        run = run_id(stored, stage=(stages or {}).get(domain, domain), edition=edition)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
            run_id=run,
            batch_identifier=f"{number:03d}_{_safe(Path(stored['meta'].get('data_name', 'data')).name)}",
        )
        shown = escaped_for_docs(stored)
        shown["meta"]["run_id"] = run.to_json_dict()  # the page's "Run Name" and "Run Time"
        context.validation_results_store.set(key, schema.load(shown))
    with muted_here():
        context.build_data_docs(site_names=[site])
    data_docs.finish_site(site_dir, root or project_root(), edition=edition)
    return site_dir / "index.html"
