"""The integrated performance report (board paper): build the measures, then the HTML sections.

``build`` is the stage's work: read the national workbooks, gate them, evaluate every measure
of the catalogue with SPC, gate the result and write ``data/processed/board_*``. The
``*_section`` functions return HTML for the notebook to display in order: cover sheet, summary
of exceptions, summary table, exception pages (SPC chart, commentary, actions), the domain
sections of the stages named in ``params.yaml`` (``board: sections:``), a data-quality appendix
and a methods and provenance appendix.

Icons are inline SVG with a text label beside them, so their meaning never rests on colour or
shape alone; every chart has alt text and every table a caption.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib.dates as mdates
import pandas as pd
import yaml

from helpers.core import provenance, quality
from helpers.core.config import VALIDATION, Project
from helpers.core.errors import PipelineError, SourceFormatError
from helpers.core.settings import Settings
from helpers.domains.board import measures as board
from helpers.domains.board.settings import ReportSettings
from helpers.domains.organisation import edition
from helpers.domains.organisation.edition import Edition
from helpers.methods import spc
from helpers.render import html, plots

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


def load(project: Project, settings: ReportSettings) -> ReportData:
    """The measures as the measures stage read them, charted again with its catalogue and SPC rule set.

    SPC is a pure function of the series, so the charts here are the points in ``board_measures``.
    """
    record = project.read_provenance(DOMAIN)
    used = record["params"]
    cfg = spc.settings(used["spc_preset"])
    measures = board.load_catalogue(project.path(used["measures"]))
    series = pd.read_parquet(project.table_path(DOMAIN, "series"))
    as_at = None if settings.as_at == "latest" else pd.Timestamp(settings.as_at)
    results = board.evaluate_all(measures, series, cfg, as_at=as_at)
    scope = edition.load(project, settings.organisation, settings.period)
    for result in results:  # a measure for another month is context for its own period
        result.current = result.latest_period is not None and \
            result.latest_period.to_period("M") == scope.month.to_period("M")
    results.sort(key=lambda r: (not r.headline, r.measure.scope != "icb"))  # the ICB's own measures first
    cover = load_cover(project.path(settings.cover))
    return ReportData(project, settings, used, cfg, cover, results, provenance.merged(project.processed), scope)


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


def _prose(text: str) -> str:
    """Paragraphs and '- ' bullet lists from the cover's plain text."""
    out, items, para = [], [], []

    def flush():
        if para:
            out.append(f"<p>{html.esc(' '.join(para))}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{html.esc(i)}</li>" for i in items) + "</ul>")
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
    return "".join(out)


# ---- icons --------------------------------------------------------------------------------------

_ICON = {
    # key: (fill, letter, arrow) -- letter H/L for high/low special cause, P/F/? for assurance
    "common_cause": ("#768692", "~", ""), "improvement_high": ("#005EB8", "H", "up"),
    "improvement_low": ("#005EB8", "L", "down"), "concern_high": ("#B35A00", "H", "up"),
    "concern_low": ("#B35A00", "L", "down"), "neither_high": ("#6B3FA0", "H", "up"),
    "neither_low": ("#6B3FA0", "L", "down"),
    "pass": ("#005EB8", "P", ""), "fail": ("#B35A00", "F", ""), "hit_and_miss": ("#768692", "?", ""),
}


def icon(key: str | None, kind: str) -> str:
    """An icon as inline SVG (labelled for screen readers) followed by its meaning in words."""
    texts = spc.VARIATION_TEXT if kind == "variation" else spc.ASSURANCE_TEXT
    if key is None:
        return '<span class="icon none">No icon</span>'
    fill, letter, arrow = _ICON[key]
    text = texts[key]
    ring = ('<circle cx="16" cy="16" r="14" fill="#fff" stroke="{0}" stroke-width="3"/>' if kind == "assurance"
            else '<circle cx="16" cy="16" r="15" fill="{0}"/>').format(fill)
    colour = fill if kind == "assurance" else "#fff"
    mark = {"up": '<path d="M16 3 l5 6 h-10 z" fill="#fff"/>', "down": '<path d="M16 29 l5 -6 h-10 z" fill="#fff"/>',
            "": ""}[arrow]
    svg = (f'<svg class="mdc-icon" width="32" height="32" viewBox="0 0 32 32" role="img" aria-label="{html.esc(text)}">'
           f'<title>{html.esc(text)}</title>{ring}{mark}<text x="16" y="21" text-anchor="middle" font-size="13" '
           f'font-family="Arial, sans-serif" font-weight="bold" fill="{colour}">{html.esc(letter)}</text></svg>')
    return f'<span class="icon {html.esc(key.replace("_", "-"))}">{svg}<span class="icon-text">{html.esc(text)}</span></span>'


STYLE = """
<style>
.cover-meta td, .cover-meta th { padding: 4px 10px; }
.cover-field { border-left: 6px solid var(--nhs-blue, #005EB8); padding: 2px 14px; margin: 10px 0; }
.cover-field h3 { margin: 4px 0; }
.icon { display: inline-flex; align-items: center; gap: 6px; }
.icon svg { flex: none; }
.icon-text { font-size: 0.85rem; }
.icon.none { color: #425563; font-style: italic; }
.exception-list li { margin-bottom: 6px; }
.actions th, .actions td { vertical-align: top; }
.note { color: #425563; font-size: 0.9rem; }
@media print {
  section.board-section { break-before: page; }
  .icon-text { font-size: 0.8rem; }
}
</style>
"""


def style() -> html.Fragment:
    return html.Fragment(STYLE)


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
    parts = [f"<h1>{html.esc(c.get('title', 'Integrated performance report'))}</h1>",
             '<h2 class="keep">Cover sheet</h2>',
             html.table(meta, caption="About this paper", row_header="Item").replace('class="report"',
                                                                                     'class="report cover-meta"')]
    if ctx.synthetic:
        parts.append("<p><strong>Built from synthetic sample data, not real NHS figures.</strong></p>")
    for key, label in COVER_FIELDS:
        parts.append(f'<div class="cover-field"><h3>{html.esc(label)}</h3>{_prose(c[key])}</div>')
    return html.Fragment("\n".join(parts))


def exceptions_section(ctx: ReportData) -> html.Fragment:
    exc = ctx.exceptions
    parts = ['<h2>Executive summary of exceptions</h2>',
             f"<p>{len(ctx.results)} measures are reported, with SPC under the <strong>{html.esc(ctx.cfg.name)}"
             f"</strong> rule set. A measure is an exception when its latest point shows special-cause concern, "
             f"when its process limits show it will consistently fail its target, or when its data could not be "
             f"charted. {len(exc)} {'measure is an exception' if len(exc) == 1 else 'measures are exceptions'}.</p>"]
    if exc:
        items = "".join(f'<li><a href="#{_anchor(r.measure.reference)}">{html.esc(r.measure.reference)} '
                        f'{html.esc(r.measure.name)}</a>: {html.esc("; ".join(r.exception))}.</li>' for r in exc)
        parts.append(f'<ul class="exception-list">{items}</ul>')
    stale_after = ctx.settings.stale_after_months
    stale = [r for r in ctx.results if r.months_behind is not None and r.months_behind > stale_after]
    if stale:
        parts.append("<p>Data more than " + f"{stale_after} months older than the newest measure: "
                     + "; ".join(f"{html.esc(r.measure.reference)} (to {r.latest_period:%B %Y})" for r in stale)
                     + ".</p>")
    return html.Fragment("".join(parts))


def summary_table(ctx: ReportData) -> pd.DataFrame:
    stale_after = ctx.settings.stale_after_months
    suppress = ctx.settings.suppress_below
    rows = []
    for r in ctx.results:
        m = r.measure
        notes = ["Not charted: " + "; ".join(r.check.problems)] if r.check.problems else []
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
    if result.current or result.latest_period is None:
        return who if result.headline else f"{who} (context)"
    return f"{who} (context: data to {result.latest_period:%B %Y})"


def summary_section(ctx: ReportData) -> html.Fragment:
    table = summary_table(ctx)
    body = html.table(table, caption=f"Measures at a glance: latest value, target and SPC icons "
                      f"({ctx.cfg.name} rule set)", raw_html={"Variation", "Assurance"}, row_header="Ref")
    key = ("<p class=\"note\">Variation icons (from the latest point): blue for special-cause improvement, "
           "orange for concern, purple where neither direction is better, grey for common cause; H or L for "
           "a high or low signal. Assurance icons (target against the process limits): P consistently passing, "
           "F consistently failing, ? hit and miss. Every icon is also written out in words.</p>")
    return html.Fragment('<h2>Summary of measures</h2>' + body + key)


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
    months = max(1, len(p))
    step = next(k for k in (1, 2, 3, 6, 12, 24, 48) if months / k <= 10)
    ax.xaxis.set_major_locator(mdates.YearLocator(step // 12) if step >= 12
                               else mdates.MonthLocator(bymonth=range(1, 13, step)))  # one tick per month at most
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
    if m.unit == "count":
        ax.yaxis.set_major_formatter(plots.mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylabel({"percent": "%", "count": "number", "millions": "millions"}.get(m.unit, m.unit))
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
    parts.append(spc.VARIATION_TEXT.get(result.variation, "No variation icon") + ". "
                 + (spc.ASSURANCE_TEXT.get(result.assurance) or "No assurance icon") + ".")
    return " ".join(parts)


def exception_pages(ctx: ReportData) -> html.Fragment:
    parts = []
    for r in ctx.exceptions:
        m = r.measure
        parts.append(f'<section class="board-section exception"><h2 id="{_anchor(m.reference)}">Exception: '
                     f'{html.esc(m.reference)} {html.esc(m.name)}</h2>')
        parts.append(f"<p>{icon(r.variation, 'variation')} {icon(r.assurance, 'assurance')}</p>")
        parts.append(f"<p><strong>Why this is an exception:</strong> {html.esc('; '.join(r.exception))}.</p>")
        if r.points is not None:
            fig = spc_figure(r)
            parts.append(html.figure(fig, alt=chart_alt(r), caption=f"{m.reference}: {m.name}, XmR chart "
                                     f"({ctx.cfg.name} rules). Source: {m.source_label}."))
            plots.plt.close(fig)
        else:
            parts.append(f"<p>This measure is not charted: {html.esc('; '.join(r.check.problems))}. The affected "
                         "cells are listed in the data-quality appendix.</p>")
        for note in r.check.notes:
            parts.append(f'<p class="note">Note: {html.esc(note)}.</p>')
        for reb in m.rebase:
            parts.append(f'<p class="note">Limits recalculated from {pd.Timestamp(reb["date"]):%B %Y}: '
                         f'{html.esc(reb["reason"])}.</p>')
        parts.append("<h3>Commentary</h3>")
        parts.append(_prose(m.commentary) if m.commentary else "<p>No commentary has been provided by the owner.</p>")
        parts.append("<h3>Actions</h3>")
        if m.actions:
            actions = pd.DataFrame([{"Action": a.get("action", ""), "Lead": a.get("lead", ""),
                                     "Due": str(a.get("due", ""))} for a in m.actions])
            parts.append(html.table(actions, caption=f"Actions for {m.reference}", row_header="Action"))
        else:
            parts.append(f"<p>No actions recorded yet: the owner ({html.esc(m.owner)}) is asked to bring them to "
                         "the next meeting.</p>")
        parts.append("</section>")
    if not parts:
        return html.Fragment("<h2>Exceptions</h2><p>No measure is an exception this month.</p>")
    return html.Fragment("".join(parts))


def domain_sections(ctx: ReportData, sections: list[tuple[str, Settings]]) -> html.Fragment:
    """Each domain's board section, in the order given: (domain, the settings of its report stage)."""
    parts = [f'<section class="board-section domain">{domain_section(domain, ctx.project, settings)}</section>'
             for domain, settings in sections]
    return html.Fragment("".join(parts))


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


def quality_appendix(ctx: ReportData) -> html.Fragment:
    root = ctx.project.root
    results = []
    for folder in sorted({p.parent for p in (root / VALIDATION).glob("**/*.json")}):
        for r in quality.load_results(folder):
            results.append((folder.relative_to(root / VALIDATION).as_posix(), r))
    parts = ['<section class="board-section appendix"><h2>Appendix A: data quality</h2>',
             "<p>Every input and processed table passes Great Expectations checks before a report is built; a "
             "failed critical check stops publication. Warnings are listed here and in the data-quality "
             "documentation published with this paper.</p>"]
    if results:
        table = quality.results_table([r for _, r in results])
        table.insert(0, "stage", [s for s, _ in results])
        table["outcome"] = [html.status(o, "good" if o == "Passed" else "bad") for o in table["outcome"]]
        table.columns = [c.capitalize() for c in table.columns]
        parts.append(html.table(table, caption="Validation results of this run, by stage", raw_html={"Outcome"}))
    else:
        parts.append("<p>No validation results were found.</p>")
    parts.append("<h3>Quarantined values</h3><p>Cells that could not be used as numbers, and measure rows that "
                 "could not be charted, are kept aside with the reason rather than dropped.</p>")
    files = sorted(ctx.project.processed.glob("*_quarantine.parquet"))
    if not files:
        parts.append("<p>No stage quarantined any rows.</p>")
    for path in files:
        q = pd.read_parquet(path)
        domain = path.name.removesuffix("_quarantine.parquet")
        if q.empty:
            parts.append(f"<p>{html.esc(domain)}: no rows quarantined.</p>")
            continue
        counts = (q.groupby(["source", "reason"], dropna=False).size().rename("rows").reset_index()
                  .rename(columns={"source": "Source", "reason": "Reason", "rows": "Rows"}))
        parts.append(html.table(counts, caption=f"Quarantined rows from {domain} ({path.name}), by reason",
                                formats={"Rows": html.integer}))
        shown = q.head(ctx.settings.quarantine_rows_shown).rename(columns=str.capitalize)
        parts.append(html.table(shown, caption=f"First {len(shown)} of {len(q):,} quarantined rows from {domain}"))
    parts.append("</section>")
    return html.Fragment("".join(parts))


def methods_appendix(ctx: ReportData) -> html.Fragment:
    cfg, prov = ctx.cfg, ctx.provenance
    rules = pd.DataFrame([{
        "Setting": label, **{name: fmt(getattr(preset, attr)) for name, preset in spc.PRESETS.items()}}
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
    settings = pd.DataFrame([{"Setting": k, "Value": json.dumps(v, default=str) if not isinstance(v, str) else v}
                             for k, v in sorted({**ctx.measures_settings, **ctx.settings.as_dict()}.items())])
    suppress = ctx.settings.suppress_below
    text = (
        '<section class="board-section appendix"><h2>Appendix B: methods and provenance</h2>'
        "<h3>Statistical process control</h3>"
        "<p>Each measure is an XmR (individuals) chart: the mean and process limits at the mean plus or minus "
        "2.66 times the mean moving range (the moving range is the difference between consecutive months). "
        "Special cause is flagged by four rules: a point beyond a process limit; a shift, a run of points all "
        "above or all below the mean; a trend, a run of points each higher (or lower) than the one before; and "
        "two of three consecutive points beyond two sigma (two thirds of the way to a limit) with all three on "
        "the same side of the mean. With the improvement direction this gives each point a class (improvement, "
        "concern, neither, common cause), the variation icon (from the latest point) and the assurance icon "
        "(whether the target lies outside the latest process limits). Limits are recalculated (rebased) from "
        "the dates in the measure catalogue; runs do not cross a rebase. "
        f"This paper uses the <strong>{html.esc(cfg.name)}</strong> rule set.</p>"
        + html.table(rules, caption="SPC rule sets (presets); the paper uses the one named in params.yaml board: "
                     "spc_preset", row_header="Setting")
        + "<p>plotthedots follows the NHSRplotthedots R package; nhse_excel follows NHS England's Making Data "
        "Count Excel tool, which does not screen moving ranges (wider limits when there are outliers), shows "
        "limits and icons only from 13 points, lets users choose runs of 6 instead of 7, and shows improvement "
        "when a point signals both ways.</p>"
        "<h3>Suppression policy</h3>"
        "<p>The measures in this paper are national or ICB totals of thousands of patients; no figure identifies "
        "a person. " + (f"A count below {int(suppress)} would be shown as 'fewer than {int(suppress)}'. "
                        if suppress else "")
        + "Patient-level data never reaches this pipeline.</p>"
        "<h3>Provenance</h3>"
        f"<p>Code version {html.esc(prov.get('code_version', 'unknown'))}; data processed "
        f"{html.esc(prov.get('run_at', ''))}; paper built "
        f"{html.esc(dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())}.</p>")
    return html.Fragment(text + html.table(files, caption="Input files of this edition (every stage)",
                                  formats={"Bytes": html.integer})
                + html.table(settings, caption="Board paper parameters (params.yaml board:)", row_header="Setting")
                + "</section>")
