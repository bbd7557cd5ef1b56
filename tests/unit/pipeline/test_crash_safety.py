"""A publish killed with SIGKILL at any moment leaves the last good edition whole and browsable,
and the next publish completes and clears what was left.

The publish runs in a forked child (imports paid once), which is killed at random moments, and
then once before each of its renames, links and deletions in turn, so every step is covered.
The whole pipeline is killed the same way by ``bench/bench_kill.py``.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import nbformat
import pytest

from helpers.pipeline import integrity, publish

PROVENANCE = {"periods": ["2026-01"], "code_version": "test", "synthetic_inputs": True,
              "inputs": [{"file": "x.csv", "bytes": 1, "sha256": "ab" * 32}]}
PAGE = "<!DOCTYPE html><html><head><title>{0}</title></head><body><h1>{0}</h1>{1}</body></html>"


def notebook(path: Path, text: str) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<h2>{text}</h2>" + "<p>x</p>" * 200})]
    nb.cells = [cell]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Inputs for a publish of five documents, 300 packs and a Data Docs site; returns (reports, publish once)."""
    def data_docs(results, site_dir, root=None, **kw):
        (site_dir / "validations").mkdir(parents=True)
        for i in range(40):
            (site_dir / "validations" / f"{i}.html").write_text(PAGE.format(i, ""))
        links = "".join(f'<a href="validations/{i}.html">{i}</a>' for i in range(40))
        (site_dir / "index.html").write_text(PAGE.format("Data Docs", links))
    monkeypatch.setattr(publish.quality, "build_edition_docs", data_docs)
    (tmp_path / "executed").mkdir()
    documents = [publish.Document(f"Report {i}", f"report-{i}.html", notebook(tmp_path / "executed" / f"{i}.ipynb", f"r{i}"))
                 for i in range(5)]
    packs = tmp_path / "packs"
    packs.mkdir()
    for i in range(300):
        (packs / f"A{i:05d}.html").write_text(PAGE.format(i, "<p>pack</p>" * 50))
    (packs / "index.html").write_text(PAGE.format("Packs", "".join(f'<a href="A{i:05d}.html">{i}</a>' for i in range(300))))

    def once():
        return publish.publish(tmp_path, reports=tmp_path / "reports", documents=documents,
                               executed=[d.executed for d in documents], validation_dir=tmp_path / "validation",
                               provenance=PROVENANCE, title="Reports", folders=[packs], keep=2)
    return tmp_path / "reports", once


def snapshot(reports: Path) -> dict:
    latest = (reports / "latest").resolve()
    return {"latest": latest.name, "digest": integrity.tree_digest(latest), "index": (reports / "index.html").read_bytes(),
            "files": sorted(str(p.relative_to(latest)) for p in latest.rglob("*") if p.is_file())}


def in_child(work, kill_after: float | None = None) -> None:
    """Run ``work`` in a forked child; SIGKILL it after ``kill_after`` seconds (if it has not ended)."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            work()
        finally:
            os._exit(0)
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def assert_intact(reports: Path, good: dict) -> str:
    """The invariants after a kill; returns whether the killed run had swapped its edition in."""
    assert integrity.reports_problems(reports) == []
    now = snapshot(reports)
    if now["latest"] == good["latest"]:
        assert now["digest"] == good["digest"] and now["index"] == good["index"]
        return "previous"
    assert now["files"] == good["files"]  # the new edition, whole
    return "new"


def assert_recovers(reports: Path, once) -> None:
    edition = once()
    assert integrity.reports_problems(reports) == []
    assert (reports / "latest").resolve() == edition.resolve()
    assert integrity.hidden_leftovers(reports, reports / "editions") == []
    assert len([p for p in (reports / "editions").iterdir()]) == 2  # keep=2, whatever the kill left


def test_publish_killed_at_random_moments(project):
    reports, once = project
    once(), once()
    started = time.perf_counter()
    once()
    duration = time.perf_counter() - started
    rng = random.Random(20260131)
    seen = []
    for _ in range(8):
        good = snapshot(reports)
        in_child(once, kill_after=rng.uniform(0, duration))
        seen.append(assert_intact(reports, good))
        assert_recovers(reports, once)
    assert "previous" in seen, seen  # most kills land while the edition is being built


STEPS = ("rename", "replace", "symlink")  # and shutil.rmtree, as one step


def test_publish_killed_before_each_rename_link_and_deletion(project, monkeypatch):
    """Every structural step of a publish (rename, replace, link, tree deletion), killed just before it."""
    reports, once = project
    once(), once()
    real = {name: getattr(os, name) for name in STEPS} | {"rmtree": publish.shutil.rmtree}

    def counting(k):
        calls = [0]

        def wrap(name):
            def step(*args, **kwargs):
                calls[0] += 1
                if calls[0] == k:
                    os.kill(os.getpid(), signal.SIGKILL)
                return real[name](*args, **kwargs)
            return step
        return calls, wrap

    calls, wrap = counting(0)
    with monkeypatch.context() as m:
        for name in STEPS:
            m.setattr(os, name, wrap(name))
        m.setattr(publish.shutil, "rmtree", wrap("rmtree"))
        once()
    total = calls[0]
    assert total >= 5  # rename in, latest (link and replace), the index (replace), rename out, delete
    outcomes = []
    for k in range(1, total + 1):
        good = snapshot(reports)

        def killed_at_step(k=k):
            _, step = counting(k)
            for name in STEPS:
                setattr(os, name, step(name))
            publish.shutil.rmtree = step("rmtree")
            once()
        in_child(killed_at_step)
        outcomes.append(assert_intact(reports, good))
        assert_recovers(reports, once)
    assert outcomes[0] == "previous" and outcomes[-1] == "new"
