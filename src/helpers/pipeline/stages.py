"""The stage list: every stage the pipeline runs, in one place.

Everything else is derived from it: ``dvc.yaml`` (``python -m helpers.pipeline dvc-yaml``
writes it; a test checks the committed file is current), the preflight check (every cleanse
stage), the board paper's sections (every report stage's ``board_section``, in this order) and
what publish puts in an edition (documents, folders, audit copies).

Each stage belongs to a domain package ``helpers.domains.<domain>``, whose ``__init__`` names
its processed tables and its Great Expectations suites, and whose ``settings.py`` declares what
the stage takes from its ``params.yaml`` section. Adding a stage is one entry here, its notebook
and its domain package (README, "Adding a stage").

Kept free of heavy imports: ``pipeline run`` reads it on every (often no-op) run.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from helpers.core.config import PROCESSED, VALIDATION, provenance_file, table_file

CLEANSE, REPORT, PACKS = "cleanse", "report", "packs"
EXECUTED = "build/executed"
PUBLISH = "publish"  # the last stage: builds the edition from every stage's documents


@dataclass(frozen=True)
class Stage:
    name: str
    domain: str                             # helpers.domains.<domain>
    kind: str                               # cleanse (writes the domain's tables), report or packs
    notebook: str                           # path from the project root
    params: str | None = None               # params.yaml section, passed as one Settings object
    settings: str | None = None             # its class in helpers.domains.<domain>.settings
    sources: tuple[str, ...] = ()           # inputs subfolders the stage reads
    files: tuple[str, ...] = ()             # configuration files it reads (catalogues)
    uses: tuple[str, ...] = ()              # other domains whose tables it reads
    document: tuple[str, str] | None = None  # (title, file in the edition): publish the executed notebook
    publishes: str | None = None            # a build/ folder copied into the edition as it is
    tables: bool = False                    # takes ``tables``: a folder of the edition's own processed
                                            # tables, read first (the national run's ICB editions)
    seconds: float = 1.0                    # about how long it takes on the samples: the order a run
                                            # with no timings of its own starts stages in (the longest
                                            # chains of work first); later runs use their last timings
    after: tuple[str, ...] = ()             # stages it waits for although it reads none of their
                                            # outputs (their executed notebooks become its inputs)

    @property
    def module(self) -> str:
        """The domain module the stage's notebook calls: cleanse, report or packs."""
        return f"helpers.domains.{self.domain}.{self.kind}"

    @property
    def executed(self) -> str:
        return f"{EXECUTED}/{self.notebook.rsplit('/', 1)[-1]}"


STAGES: list[Stage] = [
    # --- waiting times (RTT)
    Stage("cleanse_rtt", "rtt", CLEANSE, "notebooks/10_cleanse_rtt.ipynb", "rtt", "CleanseSettings",
          sources=("rtt_full_csv",), seconds=9),
    # --- the organisations (every ICB's sub-ICB locations, practices and providers), for every report
    Stage("cleanse_organisation", "organisation", CLEANSE, "notebooks/15_cleanse_organisation.ipynb",
          "organisation_reference", "CleanseSettings", sources=("gp_practice_reference", "qof_2020_21"),
          uses=("rtt",)),
    Stage("report_rtt", "rtt", REPORT, "notebooks/20_report_rtt.ipynb", "rtt_report", "ReportSettings",
          uses=("organisation",), document=("Referral to treatment waiting times", "rtt-waiting-times.html"),
          seconds=2.5),
    # --- referral gateway (referral management centre booking extract)
    Stage("cleanse_referrals", "referrals", CLEANSE, "notebooks/12_cleanse_referrals.ipynb", "referrals",
          "CleanseSettings", sources=("referral_gateway",), seconds=5),
    Stage("report_referrals", "referrals", REPORT, "notebooks/22_report_referrals.ipynb", "referrals_report",
          "ReportSettings", uses=("organisation",),
          document=("Referral gateway: booking backlog, waits and recovery", "referral-gateway.html"),
          seconds=2.5),
    # --- GP practice balanced scorecard
    Stage("cleanse_scorecard", "scorecard", CLEANSE, "notebooks/30_cleanse_scorecard.ipynb", "scorecard",
          "CleanseSettings", sources=("fingertips_practice", "qof_2020_21", "child_immunisations", "gp_payments",
                                      "gp_practice_reference"), files=("catalogue/indicators.yaml",),
          uses=("organisation",), seconds=4),
    Stage("report_scorecard", "scorecard", REPORT, "notebooks/40_report_scorecard.ipynb", "scorecard_report",
          "ReportSettings", files=("catalogue/indicators.yaml",), uses=("organisation",),
          document=("GP practice balanced scorecard", "gp-practice-scorecard.html"), seconds=5),
    Stage("packs_scorecard", "scorecard", PACKS, "notebooks/41_packs_scorecard.ipynb", "scorecard_report",
          "ReportSettings", files=("catalogue/indicators.yaml", "notebooks/templates/practice_pack.ipynb"),
          uses=("organisation",), publishes="build/packs", seconds=6),
    # --- QIPP savings tracker and action plan tracker
    Stage("cleanse_qipp", "qipp", CLEANSE, "notebooks/50_cleanse_qipp.ipynb", "qipp", "CleanseSettings",
          sources=("qipp_tracker",)),
    Stage("report_qipp", "qipp", REPORT, "notebooks/51_report_qipp.ipynb", "qipp_report", "ReportSettings",
          uses=("organisation",), document=("QIPP savings and milestones", "qipp-savings.html")),
    Stage("cleanse_actions", "actions", CLEANSE, "notebooks/52_cleanse_actions.ipynb", "actions", "CleanseSettings",
          sources=("action_plan",)),
    Stage("report_actions", "actions", REPORT, "notebooks/53_report_actions.ipynb", "actions_report",
          "ReportSettings", uses=("organisation",), document=("Action plan tracker", "action-plan.html")),
    # --- integrated performance report (board paper): measures from the national series and other
    # domains' tables, then the paper, which embeds every report stage's board section; keep it last
    Stage("cleanse_board", "board", CLEANSE, "notebooks/80_cleanse_board.ipynb", "board", "CleanseSettings",
          sources=("ae_national_timeseries", "rtt_national_timeseries"), files=("board_measures.yaml",),
          uses=("organisation", "rtt", "referrals", "scorecard"), seconds=2.5),
    Stage("board_paper", "board", REPORT, "notebooks/90_board_paper.ipynb", "board_report", "ReportSettings",
          files=("board_cover.yaml", "board_measures.yaml"), uses=("organisation",),
          document=("Integrated performance report", "board-paper.html"), tables=True, seconds=2.5,
          # the scorecard's section is the costliest to draw (funnels, heat-map, trends): the paper takes
          # it as its report stage kept it. The others' it takes when kept, else draws, so that a changed
          # setting of those reports re-runs the report and the paper side by side (render/kept.py)
          after=("report_scorecard",)),
]


def by_name() -> dict[str, Stage]:
    return {stage.name: stage for stage in STAGES}


def sources() -> list[str]:
    """Every inputs subfolder some stage reads, in stage order."""
    return list(dict.fromkeys(s for stage in STAGES for s in stage.sources))


# Domains whose tables give names and codes (who an organisation is, which practices are open), not the
# figures a page shows: a page that uses them for its headings is not made synthetic by their files.
REFERENCE_DOMAINS = ("organisation",)


def figure_sources(stage: Stage) -> list[str]:
    """The inputs folders a stage's figures come from: its domain's cleanse stages' sources and those
    of the domains it uses, and theirs in turn (what decides whether its page is synthetic); the
    reference domains' only for their own stages."""
    seen, todo, found = set(), [stage.domain, *stage.uses], []
    while todo:
        domain = todo.pop(0)
        if domain in seen or (domain in REFERENCE_DOMAINS and domain != stage.domain):
            continue
        seen.add(domain)
        for other in STAGES:
            if other.domain == domain and other.kind == CLEANSE:
                found += other.sources
                todo += other.uses
    return list(dict.fromkeys(found))


def cleanse_stages() -> list[Stage]:
    return [s for s in STAGES if s.kind == CLEANSE]


def validation_writers() -> dict[str, str]:
    """Which stage writes each ``build/validation/<domain>`` folder: each domain's cleanse stage."""
    return {stage.domain: stage.name for stage in cleanse_stages()}


def domain_info(domain: str):
    """The domain package (its TABLES and SUITES): a light import, no pandas."""
    return importlib.import_module(f"helpers.domains.{domain}")


def domain_outputs(domain: str) -> list[str]:
    """The processed files a domain's cleanse stage writes: its tables and its provenance record."""
    return [f"{PROCESSED}/{table_file(domain, t)}" for t in domain_info(domain).TABLES] + \
           [f"{PROCESSED}/{provenance_file(domain)}"]


def report_inputs(stage: Stage) -> list[str]:
    """What a report stage draws from (``dvc.yaml``'s deps, less its notebook and the code): its
    catalogues, and the tables and validation results of its domain and of those it uses."""
    found = list(stage.files)
    for domain in (stage.domain, *stage.uses):  # a report states whose checks its tables passed, so both
        found += [*domain_outputs(domain), f"{VALIDATION}/{domain}"]
    return found


def board_domains() -> list[tuple[str, str]]:
    """(domain, report stage) of every domain whose board section the paper embeds, in stage order."""
    return [(s.domain, s.name) for s in STAGES if s.kind == REPORT and s.domain != "board"]
