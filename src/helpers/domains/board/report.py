"""The integrated performance report (board paper): build the measures, then the HTML sections.

``build`` is the stage's work: read the national workbooks, gate them, evaluate every measure
of the catalogue with SPC, gate the result and write ``data/processed/board_*``. The
``*_section`` functions render their templates (``render/templates/board/``) for the notebook to
display in order: cover sheet, summary of exceptions, summary matrix (``matrix``: every measure in
the cell of its variation and assurance icons, with a sparkline), summary table, exception pages (SPC chart,
commentary, actions), the domain sections of the stages named in ``params.yaml`` (``board:
sections:``), a data-quality appendix and a methods and provenance appendix.

Icons are inline SVG (``render/icons/``) with a text label beside them, so their meaning never
rests on colour or shape alone; every chart has alt text and every table a caption.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from helpers.core import provenance, quality
from helpers.core.config import Project, download_stem
from helpers.core.errors import PipelineError, SourceFormatError
from helpers.core.settings import Settings
from helpers.domains.actions import measures as action_plan
from helpers.domains.board import matrix as grid
from helpers.domains.board import measures as board
from helpers.domains.board.settings import ReportSettings
from helpers.domains.organisation import edition
from helpers.domains.organisation.edition import Edition
from helpers.methods import spc
from helpers.render import html, plots, template

DOMAIN = "board"

# Making Data Count colours: blue improvement, orange concern, purple neither, grey common cause.
CLASS_COLOURS = {spc.IMPROVEMENT: "#005EB8", spc.CONCERN: "#B35A00", spc.NEUTRAL: "#6B3FA0",
                 spc.COMMON: "#768692"}


class BoardSectionError(PipelineError):
    """A domain's board section cannot be produced."""


@dataclass
class ReportData:
    project: Project
    settings: ReportSettings
    measures_settings: dict     # what the measures stage was run with (catalogue, SPC preset, ICB)
    cfg: spc.Settings
    cover: dict
    results: list[board.Result]
    provenance: dict            # every domain's, merged: the edition's
    edition: Edition | None = None
    elsewhere: frozenset = frozenset()  # domains whose data is for another organisation or period
    downloads: bool = True      # the edition publishes the quarantined rows as downloads (the paper links them)
    # a domain's section as its report stage kept it, else made and kept: keep(root, domain, settings, make)
    keep: Callable[[Path, str, Settings, Callable[[], str]], str] | None = None

    @property
    def synthetic(self) -> bool:
        return bool(self.provenance.get("synthetic_inputs"))

    @property
    def as_at(self) -> pd.Timestamp | None:
        dates = [r.latest_period for r in self.results if r.latest_period is not None]
        return max(dates) if dates else None

    @property
    def exceptions(self) -> list[board.Result]:
        """The ICB's measures for the edition's month that need the board's attention (context never does)."""
        return [r for r in self.results if r.exception and r.headline]


def apart(sections: list[tuple[str, Settings]] | None) -> frozenset:
    """The domains whose report settings say their data is not the edition's (``same_edition: false``)."""
    return frozenset(domain for domain, s in sections or [] if getattr(s, "same_edition", True) is False)


def load(project: Project, settings: ReportSettings, sections: list[tuple[str, Settings]] | None = None,
         downloads: bool = True, keep: Callable | None = None) -> ReportData:
    """The measures as the measures stage read them, charted again with its catalogue and SPC rule set.

    SPC is a pure function of the series, so the charts here are the points in ``board_measures``.
    ``sections`` are the domains whose sections the paper embeds, with their report settings: a
    measure from a domain whose data is for another organisation or period is context, never a
    headline figure or an exception. ``downloads``: whether the edition publishes downloads (an
    ICB edition of the national run does not), which the paper then links. ``keep``: where the
    domains' sections are taken from when their report stages kept them (:attr:`ReportData.keep`);
    None: each is drawn.
    """
    record = project.read_provenance(DOMAIN)
    used = record["params"]
    cfg = spc.settings(used["spc_preset"])
    measures = board.load_catalogue(project.path(used["measures"]))
    series = pd.read_parquet(project.table_path(DOMAIN, "series"))
    as_at = None if settings.as_at == "latest" else pd.Timestamp(settings.as_at)
    results = board.evaluate_all(measures, series, cfg, as_at=as_at)
    scope = edition.load(project, settings.organisation, settings.period)
    elsewhere = apart(sections)
    for result in results:  # a measure for another month is context for its own period
        result.current = result.latest_period is not None and \
            result.latest_period.to_period("M") == scope.month.to_period("M")
        result.elsewhere = result.measure.domain in elsewhere
    results.sort(key=lambda r: (not r.headline, r.measure.scope != "icb"))  # the ICB's own measures first
    cover = load_cover(project.path(settings.cover))
    return ReportData(project, settings, used, cfg, cover, results,
                      provenance.merged(project.processed_files("*_provenance.json")), scope, elsewhere, downloads,
                      keep)


COVER_FIELDS = [
    ("purpose", "Purpose of the report"),
    ("executive_summary", "Executive summary"),
    ("decision_required", "Decision required"),
    ("objectives_and_assurance", "Corporate objectives and Board Assurance Framework"),
    ("risks", "Risks"),
    ("resource_implications", "Resource implications"),
    ("equality", "Equality and diversity considerations"),
    ("engagement", "Patient and public engagement"),
    ("communications", "Communications"),
]


def load_cover(path: Path) -> dict:
    try:
        cover = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SourceFormatError(path, f"cannot read the cover sheet: {exc}") from None
    missing = [label for key, label in COVER_FIELDS if not str(cover.get(key) or "").strip()]
    if missing:
        raise SourceFormatError(path, f"the cover sheet has no {', '.join(missing)}")
    return cover


def _prose(text: str) -> html.Fragment:
    """Paragraphs and '- ' bullet lists from the cover's plain text."""
    return template("board/prose.html", blocks=prose_blocks(text))


def prose_blocks(text: str) -> list[tuple[str, object]]:
    """Plain text as ("paragraph", text) and ("list", [item, ...]) blocks: a blank line ends a paragraph,
    '- ' starts a bullet and an indented line continues one."""
    blocks, items, para = [], [], []

    def flush():
        if para:
            blocks.append(("paragraph", " ".join(para)))
            para.clear()
        if items:
            blocks.append(("list", list(items)))
            items.clear()

    for line in str(text).splitlines():
        s = line.strip()
        if not s:
            flush()
        elif s.startswith("- "):
            if para:
                flush()
            items.append(s[2:])
        elif items and line.startswith("  "):
            items[-1] += " " + s  # continuation of a bullet
        else:
            if items:
                flush()
            para.append(s)
    flush()
    return blocks


# ---- icons --------------------------------------------------------------------------------------

_ICON = {
    # key: (fill, letter, arrow) -- letter H/L for high/low special cause, P/F/? for assurance
    "common_cause": ("#768692", "~", ""), "improvement_high": ("#005EB8", "H", "up"),
    "improvement_low": ("#005EB8", "L", "down"), "concern_high": ("#B35A00", "H", "up"),
    "concern_low": ("#B35A00", "L", "down"), "neither_high": ("#6B3FA0", "H", "up"),
    "neither_low": ("#6B3FA0", "L", "down"),
    "pass": ("#005EB8", "P", ""), "fail": ("#B35A00", "F", ""), "hit_and_miss": ("#768692", "?", ""),
}


def icon(key: str | None, kind: str, words: bool = True) -> html.Fragment:
    """An icon (``render/icons/<kind>.svg``, labelled for screen readers) followed by its meaning in words
    (``words=False``: the icon alone, its meaning in its label and title only, for the summary matrix)."""
    if key is None:
        return template("board/icon.html", key=None, words=words)
    fill, letter, arrow = _ICON[key]
    text = (spc.VARIATION_TEXT if kind == "variation" else spc.ASSURANCE_TEXT)[key]
    return template("board/icon.html", key=key, kind=kind, text=text, fill=fill, letter=letter, arrow=arrow,
                    words=words)


def style() -> html.Fragment:
    """The board paper's own styles (``render/static/board.css``), beside the house style."""
    return template("board/style.html")


# ---- formatting -------------------------------------------------------------------------------------

def value_text(value: float | None, unit: str, suppress_below: int | None = None) -> str:
    if value is None or pd.isna(value):
        return "no value"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "count":
        if suppress_below and 0 < value < suppress_below:
            return f"fewer than {suppress_below}"
        return f"{value:,.0f}"
    if unit == "millions":
        return f"{value:,.2f} million"
    return f"{value:,.1f}"


def staleness_text(months: int | None, stale_after: int) -> str:
    if months is None:
        return "no data"
    if months == 0:
        return "current"
    word = "month" if months == 1 else "months"
    return f"{months} {word} behind" + (": stale" if months > stale_after else "")


def _anchor(reference: str) -> str:
    return "exception-" + "".join(ch if ch.isalnum() else "-" for ch in reference.lower())


# ---- sections ---------------------------------------------------------------------------------------

def cover_section(ctx: ReportData) -> html.Fragment:
    c = ctx.cover
    month = ctx.edition.month_name if ctx.edition else "no data"
    meeting = dt.date.fromisoformat(ctx.settings.meeting_date)
    meta = pd.DataFrame({"Item": ["Organisation", "Meeting", "Meeting date", "Agenda item", "Data for", "Report author",
                                  "Lead director"],
                         "Detail": [ctx.edition.name if ctx.edition else "", c.get("meeting", ""),
                                    f"{meeting.day} {meeting:%B %Y}", c.get("agenda_item", ""), month,
                                    c.get("author", ""), c.get("lead_director", "")]})
    figures = from_the_figures(ctx)
    fields = [(label, html.Fragment((template("board/lead.html", text=figures[key]) if key in figures else "")
                                    + _prose(c[key]))) for key, label in COVER_FIELDS]
    return template("board/cover.html", title=c.get("title", "Integrated performance report"),
                    about=html.table(meta, caption="About this paper", row_header="Item", css_class="cover-meta"),
                    synthetic=ctx.synthetic, fields=fields)


def shortfall(result: board.Result) -> float:
    """How far the latest value misses its target, as a share of the larger of the two (0: met, or no target)."""
    m, value = result.measure, result.latest_value
    if m.target is None or value is None or m.improvement_direction == spc.NEITHER:
        return 0.0
    gap = (m.target - value) if m.improvement_direction == spc.INCREASE else (value - m.target)
    return max(gap, 0.0) / (max(abs(m.target), abs(value)) or 1.0)


def from_the_figures(ctx: ReportData) -> dict[str, str]:
    """The executive summary's and the decision's opening sentences, written from this paper's results."""
    headline, exceptions = [r for r in ctx.results if r.headline], ctx.exceptions
    who = f"{ctx.edition.name}, {ctx.edition.month_name}" if ctx.edition else "this edition"
    if not headline:
        return {"executive_summary": f"No measure of {who} has data for the month: the paper shows context only."}
    count = f"{len(exceptions)} of {len(headline)} headline measures" if exceptions else "None of the headline measures"
    summary = f"{who}: {count} {'is an exception' if len(exceptions) == 1 else 'are exceptions'}."
    worst = max(exceptions, key=shortfall, default=None)
    if worst is not None and shortfall(worst) > 0:
        m = worst.measure
        summary += (f" Furthest from its target: {m.reference} {m.name}, {value_text(worst.latest_value, m.unit)} "
                    f"against {value_text(m.target, m.unit)}.")
    refs = ", ".join(r.measure.reference for r in exceptions)
    decision = (f"The board is asked to note the {len(exceptions)} exception{'s' if len(exceptions) != 1 else ''} "
                f"({refs}) and the actions on {'their pages' if len(exceptions) != 1 else 'its page'}."
                if exceptions else "No measure is an exception this month: the board is asked to note the position.")
    return {"executive_summary": summary, "decision_required": decision}


def contents_section() -> html.Fragment:
    """The paper's contents: a link to every section, filled in when the paper is published."""
    return html.contents_slot()


def exceptions_section(ctx: ReportData) -> html.Fragment:
    stale_after = ctx.settings.stale_after_months
    exceptions = [{"anchor": _anchor(r.measure.reference), "reference": r.measure.reference, "name": r.measure.name,
                   "why": "; ".join(r.exception)} for r in ctx.exceptions]
    return template("board/exceptions.html", measures=len(ctx.results), rule_set=ctx.cfg.reader_name, exceptions=exceptions,
                    stale_after=stale_after,
                    stale=[r for r in ctx.results if r.months_behind is not None and r.months_behind > stale_after])


def sparkline_alt(result: board.Result) -> str:
    """The sparkline in words: months, latest value, lowest and highest, and the target."""
    p, m = result.points, result.measure
    values = p["value"]
    text = (f"Sparkline of {m.name}, {len(p)} months from {p['period'].iloc[0]:%B %Y} to {p['period'].iloc[-1]:%B %Y}: "
            f"latest {value_text(values.iloc[-1], m.unit)}, lowest {value_text(values.min(), m.unit)}, "
            f"highest {value_text(values.max(), m.unit)}")
    return text + (f"; target {value_text(m.target, m.unit)}." if m.target is not None else "; no target.")


def _matrix_entry(ctx: ReportData, r: board.Result) -> dict:
    """One measure in its cell of the summary matrix: name, latest value, its icons and sparkline."""
    m = r.measure
    spark = None
    if r.points is not None:
        line = grid.sparkline(r.points["value"], m.target)
        spark = {"line": line, "alt": sparkline_alt(r), "colour": CLASS_COLOURS[r.points["point_class"].iloc[-1]]}
    return {"reference": m.reference, "name": m.name, "variation_key": r.variation or "",
            "assurance_key": r.assurance or "", "latest": value_text(r.latest_value, m.unit, ctx.settings.suppress_below),
            "when": "no data" if r.latest_period is None else f"{r.latest_period:%b %Y}",
            "context": not r.headline, "anchor": _anchor(m.reference) if any(r is e for e in ctx.exceptions) else None,
            "variation": icon(r.variation, "variation", words=False) if r.variation else None,
            "assurance": icon(r.assurance, "assurance", words=False) if r.assurance else None,
            "sparkline": spark}


def matrix_section(ctx: ReportData) -> html.Fragment:
    """Every measure on one page, in the cell of its variation (columns) and assurance (rows) icons.

    The icons are those of ``ctx.results``, the very results the summary table and the charts show."""
    found = grid.group(ctx.results)
    rows = [{"key": a, "heading": heading,
             "cells": [{"variation": v, "assurance": a, "heading": v_heading,
                        "measures": [_matrix_entry(ctx, r) for r in found.cell(a, v)]}
                       for v, v_heading in found.columns]}
            for a, heading in found.rows]
    return template("board/matrix.html", columns=found.columns, rows=rows, measures=len(ctx.results),
                    rule_set=ctx.cfg.reader_name)


def summary_table(ctx: ReportData) -> pd.DataFrame:
    stale_after = ctx.settings.stale_after_months
    suppress = ctx.settings.suppress_below
    rows = []
    for r in ctx.results:
        m = r.measure
        notes = ["Not charted: " + "; ".join(r.check.problems)] if r.check.problems else []
        if r.reasons:  # why the latest point is special cause, by the rule that flagged it
            notes.append("Special cause: " + "; ".join(r.reasons))
        rows.append({
            "Ref": m.reference, "Measure": m.name, "For": measure_for(ctx, r),
            "Latest": value_text(r.latest_value, m.unit, suppress),
            "Target": "none" if m.target is None else value_text(m.target, m.unit),
            "Variation": icon(r.variation, "variation"), "Assurance": icon(r.assurance, "assurance"),
            "Owner": m.owner,
            "Data date": "none" if r.latest_period is None else f"{r.latest_period:%b %Y}",
            "Staleness": staleness_text(r.months_behind, stale_after),
            "Notes": "; ".join(notes + r.check.notes),
        })
    return pd.DataFrame(rows)


def measure_for(ctx: ReportData, result: board.Result) -> str:
    """Whose figure it is and, for context from another month, which: every row says."""
    who = ctx.edition.name if result.measure.scope == "icb" and ctx.edition else "England"
    if result.elsewhere:
        return f"{who} (context: data for another organisation or period)"
    if result.current or result.latest_period is None:
        return who if result.headline else f"{who} (context)"
    return f"{who} (context: data to {result.latest_period:%B %Y})"


def summary_section(ctx: ReportData) -> html.Fragment:
    table = html.table(summary_table(ctx), caption=f"Measures at a glance: latest value, target and SPC icons "
                       f"({ctx.cfg.reader_name})", raw_html={"Variation", "Assurance"}, row_header="Ref")
    return template("board/summary.html", table=table)


def spc_figure(result: board.Result):
    """The XmR chart of one measure: points coloured by class, mean, limits, target, rebases."""
    plots.use_house_style()
    fig, ax = plots.plt.subplots(figsize=(9, 3.6))
    p, m = result.points, result.measure
    ax.plot(p["period"], p["value"], color="#AEB7BD", linewidth=1.2, zorder=1)
    for cls, colour in CLASS_COLOURS.items():
        hit = p[p["point_class"] == cls]
        if len(hit):
            ax.scatter(hit["period"], hit["value"], s=22, color=colour, zorder=3, label=cls.capitalize(),
                       marker={"improvement": "^", "concern": "v", "neutral": "D", "common cause": "o"}[cls])
    trial_label = "Process limits (trial)"
    for _, seg in p.groupby("segment"):
        if seg["mean"].isna().all():
            continue  # a one-month segment has no limits
        trial = bool(seg["trial"].iloc[0])
        ax.plot(seg["period"], seg["mean"], color="#212B32", linewidth=1.2, label="Mean")
        for col in ("lower", "upper"):
            ax.plot(seg["period"], seg[col], color="#425563", linewidth=1, linestyle=":" if trial else "--",
                    label=(trial_label if trial else "Process limits") if col == "upper" else None)
    if m.target is not None:
        ax.axhline(m.target, color="#DA291C", linewidth=1.2, linestyle="-.", label=f"Target {value_text(m.target, m.unit)}")
    for date in m.rebase_dates:
        if p["period"].min() < date <= p["period"].max():
            ax.axvline(date, color="#768692", linewidth=0.8)
    plots.month_ticks(ax, len(p))
    if m.unit == "count":
        ax.yaxis.set_major_formatter(plots.mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylabel({"percent": "%", "count": "number", "millions": "millions"}.get(m.unit, m.unit))
    plots.mark_break(ax, below=3.2)  # limits are read against the process, not zero: a cut axis says so (under its dates)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


def chart_alt(result: board.Result) -> str:
    p, m = result.points, result.measure
    last = p.iloc[-1]
    counts = p["point_class"].value_counts()
    classes = ", ".join(f"{n} {c}" for c, n in counts.items())
    parts = [f"SPC (XmR) chart of {m.name}, {len(p)} months from {p['period'].iloc[0]:%B %Y} to {last['period']:%B %Y}.",
             f"Latest value {value_text(last['value'], m.unit)}; latest mean "
             f"{value_text(last['mean'], m.unit)}, process limits {value_text(last['lower'], m.unit)} to "
             f"{value_text(last['upper'], m.unit)}{' (trial limits)' if last['trial'] else ''}.",
             f"Points: {classes}."]
    if m.target is not None:
        parts.append(f"Target {value_text(m.target, m.unit)}.")
    if m.rebase_dates:
        parts.append("Limits recalculated from " + ", ".join(f"{d:%B %Y}" for d in m.rebase_dates) + ".")
    if m.baseline_points:
        parts.append(f"Limits fixed on the first {m.baseline_points} months of each period.")
    if result.reasons:
        parts.append("Latest point flagged by: " + "; ".join(result.reasons) + ".")
    parts.append(spc.VARIATION_TEXT.get(result.variation, "No variation icon") + ". "
                 + (spc.ASSURANCE_TEXT.get(result.assurance) or "No assurance icon") + ".")
    return " ".join(parts)


def action_table(actions, meeting: dt.date) -> pd.DataFrame:
    """An exception's actions with their state at the meeting, by the action plan tracker's own rule
    (past its due date and not complete: overdue)."""
    rows = []
    for a in actions:
        due = pd.to_datetime(a.get("due"), errors="coerce")
        state = action_plan.milestone_state(due, "", bool(a.get("complete", False)), meeting, soon_days=31)
        rows.append({"Action": a.get("action", ""), "Lead": a.get("lead", ""),
                     "Due": "no date" if pd.isna(due) else f"{due.day} {due:%B %Y}",
                     "State": html.status(state.capitalize(), "bad" if state == "overdue" else "neutral")})
    return pd.DataFrame(rows)


def _exception_page(ctx: ReportData, r: board.Result) -> dict:
    """What one exception's page shows: icons, chart, notes, commentary and actions."""
    m = r.measure
    chart = None
    if r.points is not None:
        fig = spc_figure(r)
        try:
            chart = html.figure(fig, alt=chart_alt(r), caption=f"{m.reference}: {m.name}, XmR chart "
                                f"({ctx.cfg.reader_name}). Source: {m.source_label}.")
        finally:
            plots.plt.close(fig)
    actions = None
    if m.actions:
        meeting = dt.date.fromisoformat(ctx.settings.meeting_date)
        actions = html.table(action_table(m.actions, meeting), caption=f"Actions for {m.reference}, as at the meeting "
                             f"on {meeting.day} {meeting:%B %Y}", row_header="Action", raw_html={"State"})
    return {"measure": m, "anchor": _anchor(m.reference), "variation": icon(r.variation, "variation"),
            "assurance": icon(r.assurance, "assurance"), "why": "; ".join(r.exception), "chart": chart,
            "problems": "; ".join(r.check.problems), "notes": r.check.notes,
            "rebases": [(f"{pd.Timestamp(reb['date']):%B %Y}", reb["reason"]) for reb in m.rebase],
            "commentary": _prose(m.commentary) if m.commentary else None, "actions": actions}


def exception_pages(ctx: ReportData) -> html.Fragment:
    return template("board/exception_pages.html", pages=[_exception_page(ctx, r) for r in ctx.exceptions])


SOURCE_WORDS = {provenance.PUBLISHED: "real data, as published", provenance.SYNTHETIC: "synthetic sample data, not real figures",
                provenance.TRANSCRIBED: "a historic board paper transcribed by hand, not current data",
                provenance.MIXED: "real and sample files together"}


def source_kind(project: Project, domain: str) -> str:
    """What the domain's input files are (published, synthetic, transcribed or mixed), from its stage record."""
    path = project.provenance_path(domain)
    record = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    kinds = {i.get("kind") or provenance.input_kind(Path(i["file"])) for i in record.get("inputs", [])}
    return kinds.pop() if len(kinds) == 1 else provenance.MIXED if kinds else provenance.PUBLISHED


def domain_sections(ctx: ReportData, sections: list[tuple[str, Settings]],
                    reports: dict[str, tuple[str, str]] | None = None) -> html.Fragment:
    """Each domain's board section, in the order given: (domain, the settings of its report stage).

    Each is marked with what its source files are and followed by a link to the domain's full
    report where ``reports`` names it (title, file); those whose data is for another organisation or
    period (``same_edition: false``) follow the edition's own, under a heading that says so.
    """
    reports = reports or {}
    # a board section is markup by contract, so it goes into the page as it is
    def made(domain, settings):
        kind = source_kind(ctx.project, domain)
        if ctx.keep is not None and settings is not None:  # kept by its report stage: not drawn again
            body = ctx.keep(ctx.project.root, domain, settings, lambda: domain_section(domain, ctx.project, settings))
        else:
            body = domain_section(domain, ctx.project, settings)
        return {"body": html.Fragment(body), "kind": kind,
                "source": SOURCE_WORDS.get(kind, kind), "report": reports.get(domain)}
    own = [made(domain, settings) for domain, settings in sections if domain not in ctx.elsewhere]
    others = [made(domain, settings) for domain, settings in sections if domain in ctx.elsewhere]
    return template("board/domains.html", sections=own, others=others,
                    edition=f"{ctx.edition.name}, {ctx.edition.month_name}" if ctx.edition else "this edition")


def domain_section(domain: str, project: Project, settings: Settings) -> str:
    """``helpers.domains.<domain>.report.board_section(project, settings)``."""
    try:
        module = importlib.import_module(f"helpers.domains.{domain}.report")
    except Exception as exc:
        raise BoardSectionError(f"board section of '{domain}' cannot be imported as helpers.domains.{domain}.report: "
                                f"{type(exc).__name__}: {exc}") from exc
    section = getattr(module, "board_section", None)
    if not callable(section):
        raise BoardSectionError(f"helpers.domains.{domain}.report has no board_section(project, settings) function")
    return str(section(project, settings))


def _quarantined(ctx: ReportData, path: Path) -> tuple[str, list[html.Fragment]]:
    """A stage's quarantine file as (domain, [rows by reason, the first rows]); no tables when it is empty."""
    q = pd.read_parquet(path)
    domain = path.name.split("_quarantine.")[0]
    if q.empty:
        return domain, []
    counts = (q.groupby(["source", "reason"], dropna=False).size().rename("rows").reset_index()
              .rename(columns={"source": "Source", "reason": "Reason", "rows": "Rows"}))
    tables = [html.table(counts, caption=f"Quarantined rows from {domain}, by source and reason",
                         formats={"Rows": html.integer})]
    if ctx.downloads:  # the rows themselves are a download published with the paper (pipeline.exports)
        tables.append(template("board/quarantine_download.html", rows=len(q), domain=domain,
                               href=f"downloads/{download_stem(domain, 'quarantine')}.csv"))
    return domain, tables


def quality_appendix(ctx: ReportData) -> html.Fragment:
    results = []
    for stage, path in ctx.project.validation_files():
        results.append((stage, json.loads(path.read_text(encoding="utf-8"))))
    listed = None
    if results:
        table = quality.results_table([r for _, r in results])
        table.insert(0, "stage", [s for s, _ in results])
        table["outcome"] = [html.gate_status(o) for o in table["outcome"]]
        table.columns = [c.capitalize() for c in table.columns]
        listed = html.table(table, caption="Validation results of this run, by stage", raw_html={"Outcome"})
    quarantines = [_quarantined(ctx, path) for path in ctx.project.processed_files("*_quarantine.parquet")]
    # an edition with downloads also publishes the Data Docs (an ICB edition of the national run has neither)
    return template("board/quality_appendix.html", results=listed, quarantines=quarantines, documented=ctx.downloads)


def methods_appendix(ctx: ReportData) -> html.Fragment:
    cfg, prov = ctx.cfg, ctx.provenance
    rules = pd.DataFrame([{
        "Setting": label, **{spc.COLUMN_NAMES.get(name, name): fmt(getattr(preset, attr))
                             for name, preset in spc.PRESETS.items()}}
        for label, attr, fmt in [
            ("Shift: points on one side of the mean", "shift_length", str),
            ("Trend: points each higher (lower) than the last", "trend_length", str),
            ("Screen moving ranges above 3.267 x their mean", "screen_outliers", lambda v: "yes" if v else "no"),
            ("Points for firm limits (fewer: trial limits)", "min_points", str),
            ("Icons shown with trial limits", "icons_below_minimum", lambda v: "yes" if v else "no"),
            ("Point flagged both ways shown as", "prefer_improvement",
             lambda v: "improvement" if v else "concern")]])
    files = pd.DataFrame([{"File": Path(i["file"]).name, "Bytes": i["bytes"], "SHA-256": i["sha256"]}
                          for i in prov.get("inputs", [])])
    chosen = {**ctx.measures_settings, **ctx.settings.as_dict()}
    if "spc_preset" in chosen:  # by its name for readers, not its setting's value
        chosen["spc_preset"] = cfg.reader_name
    settings = pd.DataFrame([{"Setting": k, "Value": json.dumps(v, default=str) if not isinstance(v, str) else v}
                             for k, v in sorted(chosen.items())])
    suppress = ctx.settings.suppress_below
    return template("board/methods_appendix.html", rule_set=cfg.reader_name, provenance=prov,
                    suppress_below=int(suppress) if suppress else None,
                    built=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                    rules=html.table(rules, row_header="Setting",
                                     caption="SPC rule sets (presets); the paper uses the one named in the board's settings"),
                    files=html.table(files, caption="Input files of this edition (every stage)",
                                     formats={"Bytes": html.integer}),
                    settings=html.table(settings, caption="The board paper's settings",
                                        row_header="Setting"))
