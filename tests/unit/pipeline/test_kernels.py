"""Kernels reused between notebooks (helpers.pipeline.kernels): each notebook finds a kernel that
looks new (nothing another notebook defined, figures, settings, working directory, counts), and
the modules it imported stay imported."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers.pipeline import kernels

FIRST = [
    "settings = None",  # tagged parameters: papermill injects after it
    "import os\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "secret = settings['value']\nfig = plt.figure()\nplt.rcParams['lines.linewidth'] = 9\n"
    "import json\nos.chdir('/')",
]
SECOND = [
    "settings = None",
    "import os, sys\nimport matplotlib\nimport matplotlib.pyplot as plt\n"
    "assert 'secret' not in globals() and 'fig' not in globals() and 'json' not in globals(), 'a name leaked'\n"
    "assert plt.get_fignums() == [], 'a figure leaked'\n"
    "assert plt.rcParams['lines.linewidth'] == matplotlib.rcParamsDefault['lines.linewidth'], 'a setting leaked'\n"
    "assert 'json' in sys.modules  # imports stay: that is the saving\n"
    "print(os.getcwd())",
]


def notebook(path: Path, cells: list[str]) -> Path:
    nb = new_notebook(cells=[new_code_cell(cells[0], metadata={"tags": ["parameters"]}),
                             *(new_code_cell(c) for c in cells[1:])],
                      metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """One kernel, so that every job runs on the same one, one after another."""
    root = tmp_path_factory.mktemp("root")
    with kernels.KernelPool(root, 1) as pool:
        yield pool, root


def run_job(pool, job):
    pool.submit("job", job)
    [finished] = pool.finished()
    if finished.error is not None:
        raise finished.error
    return finished.value


def test_a_notebook_finds_nothing_the_previous_one_left(pool, tmp_path):
    pool, root = pool
    first, second = notebook(tmp_path / "first.ipynb", FIRST), notebook(tmp_path / "second.ipynb", SECOND)
    run_job(pool, lambda k: kernels.execute(k, first, tmp_path / "first.out.ipynb", {"settings": {"value": 42}}))
    run_job(pool, lambda k: kernels.execute(k, second, tmp_path / "second.out.ipynb", {"settings": {}}))
    done = nbformat.read(tmp_path / "second.out.ipynb", as_version=4)
    code = [c for c in done.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3]  # as on a new kernel (parameters, injected, code)
    assert code[-1].outputs[0]["text"].strip() == str(root)  # the working directory is the project root again
    assert done.metadata.papermill.parameters == {"settings": {}}


def test_what_a_notebook_leaves_in_cycles_is_collected_before_the_next(pool, tmp_path):
    """The reset freezes what survives it (modules stay imported), yet a notebook's own garbage, cycles
    and all, is still freed before the next notebook runs."""
    pool, root = pool
    marker = tmp_path / "collected"
    cycle = notebook(tmp_path / "cycle.ipynb", [
        "settings = None",
        f"import gc, weakref\ngc.disable()  # only the reset collects it\nclass Node: pass\nnode = Node(); node.me = node\n"
        f"weakref.finalize(node, open({str(marker)!r}, 'w').close)\ndel node"])
    check = notebook(tmp_path / "check.ipynb", [
        "settings = None",
        f"import gc, os\ngc.enable()\nassert os.path.exists({str(marker)!r}), 'a cycle outlived its notebook'\n"
        "assert gc.get_freeze_count() > 0"])
    run_job(pool, lambda k: kernels.execute(k, cycle, tmp_path / "cycle.out.ipynb", {}))
    run_job(pool, lambda k: kernels.execute(k, check, tmp_path / "check.out.ipynb", {}))


def test_a_failing_notebook_raises_as_papermill_does_and_the_kernel_stays_usable(pool, tmp_path):
    from papermill.exceptions import PapermillExecutionError

    pool, _ = pool
    failing = notebook(tmp_path / "failing.ipynb", ["settings = None", "boom = 1\nraise ValueError('no good')"])
    with pytest.raises(PapermillExecutionError) as caught:
        run_job(pool, lambda k: kernels.execute(k, failing, tmp_path / "failing.out.ipynb", {}))
    assert caught.value.ename == "ValueError" and caught.value.evalue == "no good"
    assert "An Exception was encountered" in (tmp_path / "failing.out.ipynb").read_text()
    after = notebook(tmp_path / "after.ipynb", ["settings = None", "assert 'boom' not in globals()"])
    run_job(pool, lambda k: kernels.execute(k, after, tmp_path / "after.out.ipynb", {}))


def test_each_kernel_is_used_in_turn_and_reports_errors_of_jobs(tmp_path):
    with kernels.KernelPool(tmp_path, 2) as pool:
        for n in range(4):
            pool.submit(f"job{n}", lambda k: k.number)
        done = []
        while len(done) < 4:
            done += pool.finished()
        pool.submit("bad", lambda k: k.run_quietly("1/0"))
        [bad] = pool.finished()
    assert sorted(f.key for f in done) == ["job0", "job1", "job2", "job3"]
    assert {f.value for f in done} <= {1, 2} and all(f.error is None and f.ended >= f.started for f in done)
    assert isinstance(bad.error, kernels.KernelError) and "ZeroDivisionError" in str(bad.error)


def test_a_kernel_whose_port_was_taken_meanwhile_is_started_again_on_new_ports(tmp_path, monkeypatch, caplog):
    import socket

    from jupyter_client.connect import LocalPortCache

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()  # held by someone else when the kernel binds it
    cache = LocalPortCache.instance()
    pick, handed = cache.find_available_port, []

    def first_pick_taken(ip):
        if not handed:
            handed.append(taken.getsockname()[1])
            return handed[0]
        return pick(ip)

    monkeypatch.setattr(cache, "find_available_port", first_pick_taken)
    try:
        with caplog.at_level("WARNING", logger=kernels.__name__), kernels.KernelPool(tmp_path, 1) as pool:
            assert run_job(pool, lambda k: k.km.shell_port) != handed[0]
    finally:
        taken.close()
    assert "kernel 1 exited while starting" in caplog.text and "new ports" in caplog.text


def test_a_running_notebook_is_saved_now_and_then_and_whole_at_the_end(pool, tmp_path, monkeypatch):
    """Papermill writes the whole notebook as each cell starts and ends; on the warm kernel it writes
    at most every few seconds, and always once the notebook has ended."""
    from papermill import engines

    pool, _ = pool
    writes = []
    original = engines.write_ipynb
    monkeypatch.setattr(engines, "write_ipynb", lambda nb, path: (writes.append(path), original(nb, path)))
    cells = ["settings = None", *(f"print({n})" for n in range(12))]
    source = notebook(tmp_path / "many.ipynb", cells)
    run_job(pool, lambda k: kernels.execute(k, source, tmp_path / "many.out.ipynb", {}))
    assert 1 < len(writes) <= 3  # the start and the end (and one more if the machine was slow): not 2 a cell
    done = nbformat.read(tmp_path / "many.out.ipynb", as_version=4)
    printed = [c.outputs[0]["text"].strip() for c in done.cells if c.cell_type == "code" and c.outputs]
    assert printed == [str(n) for n in range(12)]
    assert done.metadata.papermill.end_time and all(c.metadata.papermill.status == "completed" for c in done.cells)


def test_saves_are_skipped_while_the_last_was_under_the_interval_ago(monkeypatch):
    clock, saved = [100.0], []
    monkeypatch.setattr(kernels.time, "monotonic", lambda: clock[0])
    save = kernels._at_most_every(5.0, lambda **kwargs: saved.append(clock[0]))
    for step in (0, 4.9, 0.2, 1.0, 5.0):
        clock[0] += step
        save()
    assert saved == pytest.approx([105.1, 111.1])
