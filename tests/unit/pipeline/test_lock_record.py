"""How a run records its stages in dvc.lock (helpers.pipeline.runner, helpers.pipeline.lockdata).

A run keeps what DVC last wrote to dvc.lock, rewrites the file at most every few seconds and
always when it ends, and leaves what it wrote for the next run, which starts from it only while
the file holds exactly those bytes. Checked on a small DVC project whose stages are commands.
"""

from __future__ import annotations

import json

import pytest

from helpers.pipeline import lockdata, recovery, runner
from support.dvcrepo import DVC_YAML, dvc, make, planned

FAILING = """  fails:
    cmd: python -c "raise SystemExit(3)"
    deps: [alone.txt]
    outs: [never.txt]
"""


@pytest.fixture
def small_repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as the pipeline runs: in the project (DVC's run cache asks)
    return make(tmp_path)  # brought up to date by dvc repro: no run of ours has kept anything yet


def plain(data):
    """Round-trip YAML data as plain dicts and lists, to compare with a plain parse."""
    return json.loads(json.dumps(data, default=str))


def test_every_stage_is_recorded_when_the_run_ends_though_writes_were_held_back(small_repo, monkeypatch):
    monkeypatch.setattr(runner, "DUMP_EVERY", 3600.0)  # after the first, every record waits for the end
    (small_repo / "source.txt").write_text("changed")
    (small_repo / "other.txt").write_text("changed too")
    assert runner.run(small_repo, jobs=1) == 0
    assert planned(small_repo) == ((), frozenset())
    status = dvc(small_repo, "status")
    assert status.returncode == 0 and "up to date" in status.stdout, status.stdout + status.stderr


def test_stages_that_succeeded_before_a_failure_are_recorded(small_repo, monkeypatch):
    monkeypatch.setattr(runner, "DUMP_EVERY", 3600.0)
    (small_repo / "dvc.yaml").write_text(DVC_YAML + FAILING)
    assert runner.run(small_repo, force=True, jobs=1) != 0
    assert planned(small_repo)[0] == ("fails",)  # first, second, third and alone ran again and were recorded
    (small_repo / "source.txt").write_text("changed")
    assert runner.run(small_repo, jobs=1) != 0
    assert planned(small_repo)[0] == ("fails",)


def test_what_a_run_wrote_is_kept_for_the_next_and_equals_the_file(small_repo):
    from dvc.utils.serialize import parse_yaml

    assert lockdata.load(small_repo) is None  # dvc repro wrote the file
    assert runner.run(small_repo, force=True, jobs=1) == 0
    kept = lockdata.load(small_repo)
    lock = (small_repo / "dvc.lock").read_text()
    assert kept is not None and plain(kept) == plain(parse_yaml(lock, "dvc.lock"))
    assert set(kept["stages"]) == {"first", "second", "third", "alone"}


def test_a_lock_file_changed_since_is_parsed_again_and_a_cut_one_still_moved_aside(small_repo):
    assert runner.run(small_repo, force=True, jobs=1) == 0
    assert recovery.check_dvc_lock(small_repo) is None and lockdata.is_as_written(small_repo)
    dvc_lock = small_repo / "dvc.lock"
    dvc_lock.write_text(dvc_lock.read_text() + "\n")  # the same data in other bytes: not trusted
    assert lockdata.load(small_repo) is None and recovery.check_dvc_lock(small_repo) is None
    dvc_lock.write_text(dvc_lock.read_text()[:150])  # cut short, as by a killed dvc repro
    assert recovery.check_dvc_lock(small_repo) is not None and not dvc_lock.exists()


def test_the_next_run_starts_from_the_kept_data_instead_of_parsing(small_repo, monkeypatch):
    from dvc.utils import strictyaml
    from dvc.utils.serialize import _yaml

    assert runner.run(small_repo, force=True, jobs=1) == 0
    parsed = []
    original = _yaml.parse_yaml

    def counted(text, path, typ="safe"):
        parsed.append((str(path).rsplit("/", 1)[-1], typ))
        return original(text, path, typ)

    monkeypatch.setattr(_yaml, "parse_yaml", counted)
    monkeypatch.setattr(strictyaml, "parse_yaml", counted)
    (small_repo / "source.txt").write_text("one")
    assert runner.run(small_repo, jobs=1) == 0
    assert not [p for p in parsed if p[0] == "dvc.lock"]  # nor to plan, nor before recording
    assert planned(small_repo) == ((), frozenset())
    assert (small_repo / "second.txt").read_text() == "one2"


def test_a_kept_file_that_cannot_be_read_is_ignored(small_repo):
    assert runner.run(small_repo, force=True, jobs=1) == 0
    (small_repo / lockdata.KEPT).write_bytes(b"not a pickle")
    assert lockdata.load(small_repo) is None and not lockdata.is_as_written(small_repo)
    (small_repo / "source.txt").write_text("two")
    assert runner.run(small_repo, jobs=1) == 0 and planned(small_repo) == ((), frozenset())
