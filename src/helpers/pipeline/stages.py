"""The stage registry: every notebook the pipeline runs, what it is given, what it publishes.

``helpers.pipeline`` runs a stage by executing its notebook with Papermill, injecting the
``params.yaml`` section the stage names as notebook parameters and, for a stage that reads
publisher files, ``inputs = {source: folder}``. ``dvc.yaml`` lists the same stages with their
dependencies (``tests/test_notebooks.py`` keeps the two in step).

Kept free of heavy imports: ``pipeline run`` reads it on every (often no-op) run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str
    notebook: str                           # path from the project root
    params: str | None = None               # params.yaml section injected as notebook parameters
    sources: tuple[str, ...] = ()           # inputs subfolders the stage reads
    document: tuple[str, str] | None = None  # (title, file in the edition): publish the executed notebook
    publishes: str | None = None            # a build/ folder copied into the edition as it is
    # the data/processed/<domain>_provenance.json records behind the document (for its SYNTHETIC
    # banner); empty: every record, as for the board paper, which draws on all of them
    domains: tuple[str, ...] = ()


STAGES: list[Stage] = [
    # --- waiting times (RTT)
    Stage("cleanse_rtt", "notebooks/10_cleanse_rtt.ipynb", params="rtt", sources=("rtt_full_csv",)),
    Stage("report_rtt", "notebooks/20_report_rtt.ipynb", params="rtt_report",
          document=("Referral to treatment waiting times", "rtt-waiting-times.html"), domains=("rtt",)),
    # --- referral gateway (referral management centre booking extract)
    Stage("cleanse_referrals", "notebooks/12_cleanse_referrals.ipynb", params="referrals",
          sources=("referral_gateway",)),
    Stage("report_referrals", "notebooks/22_report_referrals.ipynb", params="referrals_report",
          document=("Referral gateway: booking backlog, waits and recovery", "referral-gateway.html"),
          domains=("referrals",)),
    # --- GP practice balanced scorecard
    Stage("cleanse_scorecard", "notebooks/30_cleanse_scorecard.ipynb", params="scorecard",
          sources=("fingertips_practice", "qof_2020_21", "child_immunisations", "gp_payments",
                   "gp_practice_reference")),
    Stage("report_scorecard", "notebooks/40_report_scorecard.ipynb", params="scorecard_report",
          document=("GP practice balanced scorecard", "gp-practice-scorecard.html"), domains=("scorecard",)),
    Stage("packs_scorecard", "notebooks/41_packs_scorecard.ipynb", params="scorecard_report",
          publishes="build/packs"),
    # --- QIPP savings tracker and action plan tracker
    Stage("cleanse_qipp", "notebooks/50_cleanse_qipp.ipynb", params="qipp", sources=("qipp_tracker",)),
    Stage("report_qipp", "notebooks/51_report_qipp.ipynb", params="qipp_report",
          document=("QIPP savings and milestones", "qipp-savings.html"), domains=("qipp",)),
    Stage("cleanse_actions", "notebooks/52_cleanse_actions.ipynb", params="actions", sources=("action_plan",)),
    Stage("report_actions", "notebooks/53_report_actions.ipynb", params="actions_report",
          document=("Action plan tracker", "action-plan.html"), domains=("actions",)),
    # --- integrated performance report (board paper); keep it last: it embeds the other stages' sections
    Stage("board_paper", "notebooks/90_board_paper.ipynb", params="board",
          sources=("ae_national_timeseries", "rtt_national_timeseries"),
          document=("Integrated performance report", "board-paper.html")),
]

PUBLISH = "publish"  # the last stage: builds the edition from every stage's documents


def by_name() -> dict[str, Stage]:
    return {stage.name: stage for stage in STAGES}


def sources() -> list[str]:
    """Every inputs subfolder some stage reads, in stage order."""
    return list(dict.fromkeys(s for stage in STAGES for s in stage.sources))
