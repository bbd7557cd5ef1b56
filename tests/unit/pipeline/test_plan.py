"""Which stages a run executes for a given set of changes (helpers.pipeline.plan).

The pure plan is checked on the project's own DAG, as DVC builds it from dvc.yaml; DVC's
judgement of what is stale is checked on a small DVC project made and run here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import support
from helpers.pipeline import plan, runner, stages
from helpers.pipeline.inputs import DEFAULT_INPUTS, locate_sources, write_run_file
from support import dvcrepo
from support.dvcrepo import planned

ROOT = support.ROOT
PUBLISH = stages.PUBLISH


@pytest.fixture(scope="module")
def pipeline_dag(tmp_path_factory) -> tuple[list[str], dict[str, frozenset[str]]]:
    """The project's stage order and DAG as DVC builds them (dvc.yaml, params.yaml, build/run.yaml)."""
    from dvc.repo import Repo
    from dvc.repo.reproduce import get_active_graph

    project = tmp_path_factory.mktemp("dag")
    for name in ("dvc.yaml", "params.yaml", ".dvc/config"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, project / name)
    found, missing = locate_sources([ROOT / DEFAULT_INPUTS], stages.sources(), ROOT)
    assert not missing
    write_run_file(found, project)
    with Repo(str(project)) as repo:
        graph = get_active_graph(repo.index.graph)
        upstream = {s.name: frozenset(d.name for d in graph.successors(s)) for s in graph}
        order = [s.name for s in repo.index.stages]
    return order, upstream


def run_for(dag, *stale: str, force: bool = False) -> list[str]:
    order, upstream = dag
    return list(plan.make(order, upstream, stale, force).run)


def test_nothing_stale_runs_nothing(pipeline_dag):
    found = plan.make(*pipeline_dag, stale=[])
    assert found.run == () and found.skipped == list(found.order) and found.width() == 0


def test_force_runs_every_stage_dependencies_first_publish_last(pipeline_dag):
    order, upstream = pipeline_dag
    found = plan.make(order, upstream, [], force=True)
    assert set(found.run) == {s.name for s in stages.STAGES} | {PUBLISH} and found.run[-1] == PUBLISH
    for i, stage in enumerate(found.run):
        assert upstream[stage] <= set(found.run[:i]), stage


def test_a_report_parameter_reruns_that_report_the_board_paper_and_publish(pipeline_dag):
    # rtt_report is read by the RTT page and by the board paper, which embeds the RTT section
    assert run_for(pipeline_dag, "report_rtt", "board_paper") == ["report_rtt", "board_paper", PUBLISH]


def test_new_rtt_files_rerun_the_organisation_tables_and_everything_that_reads_them(pipeline_dag):
    # the organisations' providers come from the RTT extract, and every report is for one organisation
    assert run_for(pipeline_dag, "cleanse_rtt") == [
        "cleanse_rtt", "cleanse_organisation", "report_rtt", "report_referrals", "cleanse_scorecard", "report_scorecard",
        "packs_scorecard", "report_qipp", "report_actions", "cleanse_board", "board_paper", PUBLISH]


def test_a_tracker_change_stays_in_its_domain_and_the_board_paper(pipeline_dag):
    assert run_for(pipeline_dag, "cleanse_qipp") == ["cleanse_qipp", "report_qipp", "board_paper", PUBLISH]


def test_scorecard_change_reaches_its_report_packs_and_the_board_measures(pipeline_dag):
    assert run_for(pipeline_dag, "cleanse_scorecard") == [
        "cleanse_scorecard", "report_scorecard", "packs_scorecard", "cleanse_board", "board_paper", PUBLISH]


def test_only_publish_when_only_its_settings_change(pipeline_dag):
    assert run_for(pipeline_dag, PUBLISH) == [PUBLISH]


def test_independent_domains_may_run_side_by_side(pipeline_dag):
    found = plan.make(*pipeline_dag, stale=["cleanse_referrals", "cleanse_qipp", "cleanse_actions"])
    assert found.waits_for("cleanse_qipp") == frozenset() == found.waits_for("cleanse_referrals")
    assert found.waits_for("report_qipp") == {"cleanse_qipp"}
    assert found.waits_for("cleanse_board") == {"cleanse_referrals"}  # its other upstream stages are not planned
    assert found.waits_for(PUBLISH) == set(found.run) - {PUBLISH}
    assert found.width() == 4  # after the three cleanse stages: their reports and the board measures


def test_a_first_run_starts_the_longest_chains_of_work_first(pipeline_dag):
    """With no timings of its own, a run goes by the stage list's rough seconds: the RTT tables, at the
    head of the longest chain, before the other cleanses; the scorecard's page, which the board paper
    waits for, before the board's measures; those, the last stage to validate (then publish waits for
    the Data Docs), before the packs. A stage's last timing, once known, counts instead."""
    every = plan.make(*pipeline_dag, stale=[], force=True)
    below = runner.chain_seconds(every, {})
    cleanses = [s.name for s in stages.cleanse_stages() if not every.waits_for(s.name)]
    assert max(cleanses, key=below.get) == "cleanse_rtt" and len(cleanses) > 1
    assert below["report_scorecard"] > below["cleanse_board"] > below["packs_scorecard"] > below["report_qipp"]
    assert runner.chain_seconds(every, {"cleanse_referrals": 90.0})["cleanse_referrals"] > below["cleanse_rtt"]


def test_a_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        plan.make(["a", "b"], {"a": {"b"}, "b": {"a"}}, ["a"])


# --- DVC's judgement of what is stale, in-process ------------------------------------------------

@pytest.fixture
def small_repo(tmp_path) -> Path:
    return dvcrepo.make(tmp_path)


def test_dvc_finds_nothing_stale_after_dvc_repro(small_repo):
    assert planned(small_repo) == ((), frozenset())
    assert planned(small_repo, force=True)[0] == ("first", "second", "third", "alone")


def test_a_changed_parameter_reruns_its_stage_and_what_is_downstream(small_repo):
    (small_repo / "params.yaml").write_text("second:\n  suffix: b\n")
    assert planned(small_repo) == (("second", "third"), {"second"})


def test_a_changed_input_reruns_its_stage_and_what_is_downstream(small_repo):
    (small_repo / "source.txt").write_text("one")
    run, stale = planned(small_repo)
    assert run == ("first", "second", "third") and stale == {"first"}  # downstream runs without being hashed
    (small_repo / "other.txt").write_text("y")
    assert planned(small_repo)[0] == ("first", "second", "third", "alone")


def test_an_output_changed_by_hand_reruns_its_stage(small_repo):
    (small_repo / "third.txt").write_text("edited")
    assert planned(small_repo) == (("third",), {"third"})


def test_targets_run_only_themselves_and_what_they_depend_on():
    # a -> b -> d, a -> c -> d: as `dvc repro b` would, only a and b run when a changed
    upstream = {"a": set(), "b": {"a"}, "c": {"a"}, "d": {"b", "c"}}
    assert plan.make("abcd", upstream, {"a"}, targets=["b"]).run == ("a", "b")
    assert plan.make("abcd", upstream, {"c"}, targets=["b"]).run == ()  # c is not among b's
    assert plan.make("abcd", upstream, {"c"}, targets=["d"]).run == ("c", "d")
    assert plan.make("abcd", upstream, set(), force=True, targets=["c"]).run == ("a", "c")
    assert plan.upstream_of(upstream, ["d"]) == {"a", "b", "c", "d"}


def test_the_cleanse_stages_as_targets_leave_every_report_and_publish_out(pipeline_dag):
    order, upstream = pipeline_dag
    cleanse = [s.name for s in stages.cleanse_stages()]
    found = plan.make(order, upstream, set(order), targets=cleanse)
    assert set(found.run) == set(cleanse)
    assert PUBLISH in found.skipped and "board_paper" in found.skipped


class _Pool:
    """Kernels that run each job as it is submitted, noting what ran: a stage's name, or the code run."""

    size, used = 2, False

    def __init__(self):
        self.ran, self._done = [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def submit(self, key, job):
        from helpers.pipeline import kernels

        kernel = kernels.Kernel(1, Path("."))
        kernel.run_quietly = lambda code, timeout: self.ran.append(code)
        job(kernel)
        if key != runner.DOCS:
            self.ran.append(key)
        self._done.append(kernels.Finished(key, None, None, 0.0, 0.0, 1))

    def finished(self):
        done, self._done = self._done, []
        return done


def _schedule(pipeline_dag, tmp_path, monkeypatch) -> tuple[runner.Schedule, _Pool, list[str]]:
    ran_here = []
    monkeypatch.setattr(runner, "record_in_lock", lambda stages_: None)
    monkeypatch.setattr(runner.Schedule, "_notebook_job", lambda self, name: lambda kernel: None)
    monkeypatch.setattr(runner.Schedule, "_warm_up_publish", lambda self: None)

    def here(self, name):
        ran_here.append(name)
        self.ran.add(name)

    monkeypatch.setattr(runner.Schedule, "_run_here", here)
    pool = _Pool()
    every = plan.make(*pipeline_dag, stale=[], force=True)
    schedule = runner.Schedule(tmp_path, every, {name: None for name in every.run}, jobs=2, pass_fds=(),
                               say=lambda *a: None, estimates={}, pool=pool)
    return schedule, pool, ran_here


def test_the_data_docs_are_built_on_a_kernel_once_the_last_validating_stage_has_run(pipeline_dag, tmp_path,
                                                                                   monkeypatch):
    schedule, pool, here = _schedule(pipeline_dag, tmp_path, monkeypatch)
    assert schedule.run() == 0 and here == [PUBLISH]
    docs = [i for i, item in enumerate(pool.ran) if "datadocs.prepare(" in item]
    assert len(docs) == 1, pool.ran
    validating = set(stages.validation_writers().values())
    assert validating <= set(pool.ran[:docs[0]])  # after every stage that validates; publish after it
    assert sorted(pool.ran[:docs[0]] + pool.ran[docs[0] + 1:]) == sorted(s.name for s in stages.STAGES)


def test_data_docs_already_built_are_not_built_again(pipeline_dag, tmp_path, monkeypatch):
    from helpers.pipeline import datadocs

    monkeypatch.setattr(datadocs, "built", lambda *a, **k: True)
    schedule, pool, here = _schedule(pipeline_dag, tmp_path, monkeypatch)
    assert schedule.run() == 0 and here == [PUBLISH]
    assert not [item for item in pool.ran if "datadocs" in item] and len(pool.ran) == len(stages.STAGES)
