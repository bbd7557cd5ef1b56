"""What a killed run leaves for DVC is put right before the next run (helpers.recovery), checked
against DVC itself in a one-stage repository."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.pipeline import recovery

DVC_YAML = """stages:
  make:
    cmd: python -c "open('out.txt', 'w').write('made')"
    outs:
      - out.txt
"""


def dvc(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"))


@pytest.fixture
def repo(tmp_path) -> Path:
    """A one-stage DVC project, run once, so it has a real dvc.lock."""
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text("[core]\n    no_scm = True\n")
    (tmp_path / "dvc.yaml").write_text(DVC_YAML)
    done = dvc(tmp_path, "repro")
    assert done.returncode == 0, done.stderr
    return tmp_path


def sleeper(*argv: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *argv])


def test_a_dvc_lock_cut_short_is_moved_aside_and_dvc_runs_again(repo):
    lock = repo / "dvc.lock"
    whole = lock.read_bytes()
    assert recovery.check_dvc_lock(repo) is None and lock.read_bytes() == whole  # a good one is left alone
    cut = whole[: whole.index(b"md5:") + 7]  # as DVC leaves it when killed while rewriting it
    lock.write_bytes(cut)
    assert dvc(repo, "status").returncode != 0  # DVC itself cannot go on
    note = recovery.check_dvc_lock(repo)
    assert note and "moved to build/dvc.lock.corrupt" in note
    assert (repo / recovery.CORRUPT_LOCKFILE).read_bytes() == cut and not lock.exists()
    again = dvc(repo, "repro")
    assert again.returncode == 0, again.stderr
    assert "Running stage 'make'" in again.stdout and lock.exists()


def test_a_dvc_lock_cut_inside_a_value_is_moved_aside(repo):
    (repo / "dvc.lock").write_bytes(b"schema: '2.0'\nstages:\n  make:\n    cmd: [")
    assert recovery.check_dvc_lock(repo) is not None and not (repo / "dvc.lock").exists()


def test_rwlock_entries_of_dead_or_reused_process_ids_are_released(repo):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    reused, live_dvc = sleeper(), sleeper("dvc", "repro")  # a process id now some other program's; a live DVC
    try:
        rwlock = repo / recovery.RWLOCK
        rwlock.write_text(json.dumps({
            "write": {str(repo / "out.txt"): {"pid": reused.pid, "cmd": "dvc repro"},
                      str(repo / "other.txt"): {"pid": live_dvc.pid, "cmd": "dvc repro"}},
            "read": {str(repo / "dvc.yaml"): [{"pid": dead.pid, "cmd": "dvc repro"},
                                              {"pid": live_dvc.pid, "cmd": "dvc repro"}]}}))
        (repo / "dvc.yaml").write_text(DVC_YAML.replace("made", "made again"))
        blocked = dvc(repo, "repro")
        assert blocked.returncode != 0 and "is busy" in blocked.stderr  # DVC trusts the reused id
        note = recovery.clear_stale_rwlock(repo)
        assert note and str(reused.pid) in note and str(dead.pid) in note and str(live_dvc.pid) not in note
        assert json.loads(rwlock.read_text()) == {
            "write": {str(repo / "other.txt"): {"pid": live_dvc.pid, "cmd": "dvc repro"}},
            "read": {str(repo / "dvc.yaml"): [{"pid": live_dvc.pid, "cmd": "dvc repro"}]}}
        done = dvc(repo, "repro")
        assert done.returncode == 0, done.stderr
        assert (repo / "out.txt").read_text() == "made again"
    finally:
        reused.kill(), live_dvc.kill()


def test_a_half_written_rwlock_is_removed(repo):
    rwlock = repo / recovery.RWLOCK
    rwlock.write_text('{"write": {"/x/out.txt": {"pid": 12')
    assert dvc(repo, "repro", "--force").returncode != 0
    assert recovery.clear_stale_rwlock(repo) is not None and not rwlock.exists()
    assert dvc(repo, "repro", "--force").returncode == 0


def test_dvc_repository_lock_of_a_killed_process_needs_no_recovery(repo):
    """DVC's .dvc/tmp/lock is an fcntl lock: the kernel drops it with the process that held it."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from dvc.lock import make_lock; "
        "lock = make_lock('.dvc/tmp/lock', tmp_dir='.dvc/tmp'); lock.lock(); print('held', flush=True); time.sleep(60)")],
        cwd=repo, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    assert dvc(repo, "repro", "--force").returncode != 0  # busy while held
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (repo / ".dvc/tmp/lock").exists()  # still there, naming the dead process
    done = dvc(repo, "repro", "--force")
    assert done.returncode == 0, done.stderr


def test_temporary_files_of_atomic_writes_are_cleared_and_nothing_else(tmp_path):
    keep = [tmp_path / "data/processed/rtt_summary.parquet", tmp_path / "build/validation/rtt/x.json",
            tmp_path / "build/executed/10_cleanse_rtt.ipynb", tmp_path / "build/packs/A81001.html",
            tmp_path / "build/run.yaml"]
    left = [tmp_path / "data/processed/.rtt_summary.parquet.k2j3.tmp", tmp_path / "build/validation/rtt/.x.json.ab.tmp",
            tmp_path / "build/executed/.10_cleanse_rtt.running.ipynb", tmp_path / "build/.packs.building/A81001.html",
            tmp_path / "build/.packs.old/A81001.html", tmp_path / "build/.run.yaml.123.tmp"]
    for path in keep + left:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    removed = recovery.clear_temporary_files(tmp_path)
    assert len(removed) == 6
    assert all(p.exists() for p in keep) and not any(p.exists() for p in left)
    assert not (tmp_path / "build/.packs.building").exists()


def test_recover_reports_each_thing_put_right(repo):
    (repo / "dvc.lock").write_text("schema: '2.0'\nstages: [")
    (repo / "data/processed").mkdir(parents=True)
    (repo / "data/processed/.t.parquet.x.tmp").write_text("half")
    started = time.perf_counter()
    notes = recovery.recover(repo)
    assert len(notes) == 2 and "dvc.lock" in notes[0] and "1 temporary file" in notes[1]
    assert recovery.recover(repo) == [] and time.perf_counter() - started < 30
