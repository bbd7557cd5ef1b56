"""Running the stages that changed: side by side where the DAG allows, on kernels started once.

``python -m helpers.pipeline run`` calls :func:`run` once it holds the run lock and has recorded
the inputs. What happens, in order:

1. If the project is exactly as it was when every stage was last found up to date
   (:mod:`helpers.pipeline.freshness`), there is nothing to do: no DVC, no kernels.
2. Otherwise DVC, in this process and holding its repository lock as ``dvc repro`` does, finds
   the stale stages, and the plan adds everything downstream of them (:mod:`helpers.pipeline.plan`).
3. The planned stage notebooks run on a pool of kernels (:mod:`helpers.pipeline.kernels`), as
   many at once as the DAG and the pool allow, the longest chain of work first. Publish runs
   here, in this process, once everything else is done. (A stage ``dvc.yaml`` has but the stage
   list does not runs its command, as DVC would.)
4. Each stage that succeeds is recorded in ``dvc.lock`` as ``dvc repro`` records it, so ``dvc
   status`` agrees with the run when it stops, and a ``dvc repro`` by hand has nothing to do. (The
   file is rewritten every few seconds and when the run ends: a run killed outright may leave its
   last few stages unrecorded, and they run again next time.)
5. The first stage to fail stops the run: nothing more starts, stages already running finish
   (and are recorded), nothing downstream of the failure runs, so nothing is published. The
   failure is reported and recorded exactly as ``python -m helpers.pipeline stage`` reports it.

It prints DVC's words for what it does ("Running stage 'x':", "Stage 'x' didn't change,
skipping", "Data and pipelines are up to date.") and a line when each stage ends ("Stage 'x'
finished in 3.2 s", "Stage 'x' failed ..."); each line is passed with the moment it was printed to
``on_line``, which is how the run summary times every stage, side by side or not.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from helpers.core.errors import EXIT_OK, PipelineError
from helpers.pipeline import freshness, lockdata, recovery, stages
from helpers.pipeline.plan import Plan

UP_TO_DATE = "Data and pipelines are up to date."
DUMP_EVERY = 10.0  # seconds between rewrites of dvc.lock during a run (see _lock_file_kept_parsed)
LineHandler = Callable[[str, float], None]


def default_jobs() -> int:
    """One kernel per core this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


class _Say:
    """Print a line (whole, whatever thread) and hand it to the stage clock with its time."""

    def __init__(self, on_line: LineHandler | None):
        self.on_line, self._lock = on_line, threading.Lock()

    def __call__(self, text: str, stream=None) -> None:
        with self._lock:
            stream = stream or sys.stdout
            stream.write(text + "\n")  # one write: a line printed elsewhere cannot land inside it
            stream.flush()
            if self.on_line is not None:
                self.on_line(text, time.monotonic())


def run(root: Path, *, force: bool = False, jobs: int | None = None, pass_fds: tuple[int, ...] = (),
        on_line: LineHandler | None = None, estimates: dict[str, float] | None = None,
        targets: list[str] | None = None) -> int:
    """Bring every stage up to date (with ``targets``, those stages and what they depend on, as
    ``dvc repro TARGET...``); returns 0, or the failed stage's exit code (see the module)."""
    say = _Say(on_line)
    before = freshness.snapshot(root)
    if not force and before is not None and freshness.is_recorded(root, before):
        for name in freshness.stage_names(root):
            say(f"Stage '{name}' didn't change, skipping")
        say(UP_TO_DATE)
        return EXIT_OK
    jobs = jobs or default_jobs()
    # Kernels take seconds to start and import; when stages will very likely run (the project
    # changed since a run found it up to date, or nothing has run yet), start them while DVC is asked.
    ahead = _pool(root, jobs, pass_fds).start() if freshness.has_record(root) or not (root / "dvc.lock").exists() \
        else None
    freshness.forget(root)  # until DVC has been asked again
    if note := recovery.check_dvc_lock(root):
        print(f"Recovered: {note}", flush=True)
    try:
        code, planned = _run_with_dvc(root, force=force, jobs=jobs, pass_fds=pass_fds, say=say,
                                      estimates=estimates or {}, targets=targets, pool=ahead)
    finally:
        if ahead is not None and not ahead.used:  # DVC found nothing for them to do
            ahead.close_unused()
    if code == EXIT_OK and before is not None and targets is None:  # only targets: others may be stale
        _record_if_settled(root, before, planned)
    return code


def _pool(root: Path, size: int, pass_fds: tuple[int, ...]):
    """A pool of kernels for the stage notebooks; Papermill (most of a second to import) is imported
    in the background meanwhile, not in the first notebook's time."""
    from helpers.pipeline import kernels

    _in_background("papermill-imports", kernels.register_engine)
    return kernels.KernelPool(root, size, pass_fds=pass_fds)


def _in_background(name: str, work: Callable[[], object]) -> threading.Thread:
    """``work`` started on a daemon thread: work done ahead of the code that needs it, which does it
    itself, and reports any error, if it failed here."""
    def quietly() -> None:
        try:
            work()
        except Exception:  # reported where the work is done again
            pass

    thread = threading.Thread(target=quietly, name=name, daemon=True)
    thread.start()
    return thread


def _record_if_settled(root: Path, before: dict, planned: list[str]) -> None:
    """Record the project as up to date, unless something the run's stages do not write changed
    while it ran (an edit of params.yaml, say): DVC must then be asked again next time."""
    after = freshness.snapshot(root)
    if after is not None and not freshness.changed_between(before, after, ["dvc.lock", *planned]):
        freshness.record(root, after)


def _run_with_dvc(root: Path, *, force: bool, jobs: int, pass_fds: tuple[int, ...], say: _Say,
                  estimates: dict[str, float], targets: list[str] | None = None, pool=None) -> tuple[int, list[str]]:
    """Plan with DVC and run the plan (on ``pool``, kernels started ahead, if given; the caller closes
    it if the plan had no notebook for it); returns the exit code and the outputs the planned stages write."""
    from dvc.lock import LockError
    from dvc.repo import Repo, lock_repo

    from helpers.pipeline import plan as planner

    for name in ("dvc", "papermill"):  # their progress lines: ours say which stage, side by side
        logging.getLogger(name).setLevel(logging.WARNING)
    repo = Repo(str(root))
    try:
        with lock_repo(repo), _params_read_once(), _lock_file_kept_parsed(root):
            found = planner.from_repo(repo, force, targets)
            dvc_stages = planner.stages_by_name(repo)
            wanted = planner.upstream_of(found.upstream, targets) if targets is not None else set(found.order)
            for name in found.skipped:
                if name in wanted:  # as dvc repro TARGET...: the others are not its business
                    say(f"Stage '{name}' didn't change, skipping")
            if not found.run:
                say(UP_TO_DATE)
                return EXIT_OK, []
            outputs = [out.def_path for name in found.run for out in dvc_stages[name].outs]
            schedule = Schedule(root, found, dvc_stages, jobs=jobs, pass_fds=pass_fds, say=say, estimates=estimates,
                                pool=pool)
            return schedule.run(), outputs
    except LockError as exc:
        raise PipelineError(f"DVC could not lock the project (is a `dvc` command running in it?): {exc}") from None
    finally:
        repo.close()


@contextlib.contextmanager
def _params_read_once():
    """DVC parses params.yaml afresh for every stage it checks or records (a tenth of a second or
    more each, with its YAML library); during a run, parse each version of the file once."""
    from dvc.dependency import param

    original, parsed = param.load_path, {}

    def load_path(path, fs, **kwargs):
        key = (_stamp(path), repr(sorted(kwargs.items())))
        if key[0] is None:
            return original(path, fs, **kwargs)
        if key not in parsed:
            parsed[key] = original(path, fs, **kwargs)
        return copy.deepcopy(parsed[key])  # DVC's callers may keep or change what they get

    param.load_path = load_path
    try:
        yield
    finally:
        param.load_path = original


@contextlib.contextmanager
def _lock_file_kept_parsed(root: Path):
    """DVC parses the whole of dvc.lock with its round-trip YAML parser before recording each stage,
    then dumps it whole again (each half a second or so, here). While a run holds DVC's lock nothing
    else writes the file, so:

    - what was last recorded is kept, and the file parsed again only if it is not as we left it;
      what a run last wrote is kept for the next run too (:mod:`helpers.pipeline.lockdata`), which
      starts from it if the file still holds exactly those bytes, for recording and for DVC's own
      reading of the file when it works out what changed (its schema still checks it);
    - the file is rewritten (by DVC's own dumper) at most every :data:`DUMP_EVERY` seconds, and
      always when the run ends, however it ends. Only a run killed outright can lose the record of
      stages that finished in its last seconds; they run again next time.
    """
    from dvc import dvcfile
    from dvc.utils.serialize import dump_yaml

    lock = os.fspath(root / lockdata.LOCKFILE)
    original, kept, pending, dumped = dvcfile.modify_yaml, {}, {}, {}
    original_load = dvcfile.Lockfile._load_yaml
    if (data := lockdata.load(root)) is not None:
        kept[lock] = (_stamp(lock), data)

    def load_yaml(self, **kwargs):
        path = os.path.abspath(self.path)
        known = kept.get(path)
        if known is None or known[0] != _stamp(path):
            return original_load(self, **kwargs)
        return self.validate(copy.deepcopy(known[1]), fname=self.relpath), Path(path).read_text(encoding="utf-8")

    def dump(path: str, fs) -> None:
        dump_yaml(path, kept[path][1], fs=fs)
        kept[path] = (_stamp(path), kept[path][1])
        pending.pop(path, None)
        dumped[path] = time.monotonic()

    @contextlib.contextmanager
    def modify_yaml(path, fs=None):
        path = os.fspath(path)
        known = kept.pop(path, None)
        if known is not None and known[0] == _stamp(path):
            try:
                yield known[1]
            except BaseException:  # changed half-way: drop it, and what waited to be written with it
                pending.pop(path, None)  # (those stages are not recorded: they run again next time)
                raise
            kept[path], pending[path] = known, fs
            if time.monotonic() - dumped.get(path, -DUMP_EVERY) >= DUMP_EVERY:
                dump(path, fs)
        else:
            pending.pop(path, None)
            with original(path, fs=fs) as data:
                yield data
            kept[path], dumped[path] = (_stamp(path), data), time.monotonic()

    dvcfile.modify_yaml, dvcfile.Lockfile._load_yaml = modify_yaml, load_yaml
    try:
        yield
    finally:
        dvcfile.modify_yaml, dvcfile.Lockfile._load_yaml = original, original_load
        for path, fs in list(pending.items()):
            dump(path, fs)
        if lock in dumped and lock in kept and kept[lock][0] == _stamp(lock):
            try:
                lockdata.save(root, kept[lock][1])
            except Exception as exc:  # only a saving for the next run: it parses the file instead
                logging.getLogger(__name__).debug("dvc.lock data not kept: %s", exc)


def _stamp(path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def record_in_lock(dvc_stages: list) -> None:
    """Record stages that have just run in ``dvc.lock`` as ``dvc repro`` does after running each:
    hashes of their dependencies, parameters and outputs (Stage.run's save and commit), then the
    lock file's entries (one rewrite for all of them)."""
    for stage in dvc_stages:
        no_cache_outs = any(not out.use_cache for out in stage.outs if not (out.is_metric or out.is_plot))
        stage.save(run_cache=not no_cache_outs)
        stage.commit()
    by_file: dict[str, list] = {}
    for stage in dvc_stages:
        by_file.setdefault(stage.dvcfile.path, []).append(stage)
    for group in by_file.values():
        group[0].dvcfile.dump_stages(group, update_pipeline=False)


DOCS = "data-docs"  # the job that builds the Data Docs on a kernel, ahead of publish
DOCS_SECONDS = 4.0  # about how long that takes here, beside the other kernel
DOCS_TIMEOUT = 600
DOCS_CODE = """\
from pathlib import Path
from helpers.pipeline import datadocs, stages
datadocs.prepare(Path({results!r}), Path({root!r}), stages=stages.validation_writers())
"""


def chain_seconds(plan: Plan, estimates: dict[str, float]) -> dict[str, float]:
    """The seconds of work from each planned stage to the end of the run along its longest chain:
    the longest chains start first. A stage counts its last run's seconds (``estimates``), else the
    stage list's rough ones (:attr:`helpers.pipeline.stages.Stage.seconds`), else one second.
    Publish waits for the Data Docs too, built once the last stage that validates has finished
    (:meth:`Schedule._prepare_docs`), so each such stage's chain counts them (and the Data Docs' own
    is under :data:`DOCS`)."""
    specs, below = stages.by_name(), {}
    validating = set(stages.validation_writers().values())
    for name in reversed(plan.run):
        after = [below[s] for s in plan.run if name in plan.waits_for(s)]
        if name in validating and DOCS in below:
            after.append(below[DOCS])
        rough = specs[name].seconds if name in specs else 1.0
        below[name] = estimates.get(name, rough) + max(after, default=0.0)
        if name == stages.PUBLISH:
            below[DOCS] = DOCS_SECONDS + below[name]
    return below


class Schedule:
    """One run of a plan: stage notebooks on the kernel pool, the others here; see the module."""

    def __init__(self, root: Path, plan: Plan, dvc_stages: dict, *, jobs: int, pass_fds: tuple[int, ...],
                 say: _Say, estimates: dict[str, float], pool=None):
        self.root, self.plan, self.dvc_stages, self.say = root, plan, dvc_stages, say
        self.specs = stages.by_name()
        self.notebooks = [s for s in plan.run if s in self.specs]
        self.size = min(jobs, max(plan.width(), 1), len(self.notebooks))
        self.pass_fds = pass_fds
        self.priority = chain_seconds(plan, estimates)
        self.started: dict[str, float] = {}
        self.running: set[str] = set()
        self.ran: set[str] = set()       # succeeded: what depends on them may start
        self.recorded: set[str] = set()  # and recorded in dvc.lock
        self.failed: str | None = None
        self.code = EXIT_OK
        self._warming: threading.Thread | None = None
        self._docs: str | None = None  # the Data Docs ahead of publish: "built" already, or "due", then "started"
        self.ahead = pool  # kernels started before the plan was known
        self.pool = None

    def _ready(self) -> list[str]:
        ready = [s for s in self.plan.run if s not in self.started and self.plan.waits_for(s) <= self.ran]
        return sorted(ready, key=lambda s: -self.priority[s])

    def run(self) -> int:
        if self.notebooks:
            self.pool = self.ahead or _pool(self.root, self.size, self.pass_fds)
            self.pool.used = True
            self.size = min(self.size, self.pool.size)
        with self.pool or contextlib.nullcontext():
            if self.pool is not None:
                print(f"Starting {self.pool.size} kernel(s) for {len(self.notebooks)} stage notebook(s)", flush=True)
            self._warm_up_publish()  # while the kernels start and run: its imports are seconds
            self._prepare_docs()
            while self.failed is None or self.running:
                if self.failed is None:
                    self._start_notebooks()
                    if self._start_here():
                        continue
                if not self.running:
                    break
                self._finish(self.pool.finished())
        return self.code

    def _start_notebooks(self) -> None:
        """Start the ready stage notebooks (and the Data Docs, once due), longest chain first, while
        kernels are free."""
        ready = [name for name in self._ready() if name in self.specs]
        if self._docs == "due":
            ready = sorted([*ready, DOCS], key=lambda s: -self.priority[s])
        for name in ready:
            if len(self.running) >= self.size:
                break
            self.running.add(name)
            self.started[name] = time.monotonic()
            if name == DOCS:
                self._docs = "started"
                self.pool.submit(name, self._docs_job())
            else:
                self.pool.submit(name, self._notebook_job(name))

    def _start_here(self) -> bool:
        """Run a ready stage that is not a notebook (publish, which waits for every other stage
        anyway) here, once nothing else is running; True if one ran."""
        ready = [name for name in self._ready() if name not in self.specs]
        if self.running or not ready:
            return False
        self.started[ready[0]] = time.monotonic()
        self._run_here(ready[0])
        return True

    def _warm_up_publish(self) -> None:
        """Import what publish needs (nbconvert, scipy: seconds) in the background, from the start
        of the run: the kernels spend their first seconds starting and importing. (Great Expectations
        is imported only if the Data Docs must be built: :meth:`_prepare_docs`.)"""
        if self._warming is not None or stages.PUBLISH not in self.plan.run:
            return

        def imports() -> None:  # nbconvert; the catalogues' modules for the definitions and downloads
            from helpers.domains.scorecard import measures  # noqa: F401
            from helpers.pipeline import dictionary, exports, publish  # noqa: F401

        self._warming = _in_background("publish-imports", imports)

    def _prepare_docs(self) -> None:
        """Have the Data Docs publish will copy (seconds of Great Expectations) built on a kernel,
        which has imported it to validate, once every stage that validates has finished, while the
        report stages run; unless they are built already (the validation results are as before).
        A run with no notebooks leaves them to publish."""
        if self._docs is not None or self.pool is None or stages.PUBLISH not in self.plan.run or \
                self.failed is not None:
            return
        writers = stages.validation_writers()
        if not set(writers.values()) & set(self.plan.run) <= self.ran:
            return
        from helpers.pipeline import datadocs

        self._docs = "built" if datadocs.built(self.root / "build/validation", self.root, stages=writers) else "due"

    def _docs_job(self):
        code = DOCS_CODE.format(results=str(self.root / "build/validation"), root=str(self.root))
        return lambda kernel: kernel.run_quietly(code, timeout=DOCS_TIMEOUT)

    def _notebook_job(self, name: str):
        from helpers.pipeline import cli

        def job(kernel):
            self.say(f"Running stage '{name}':")
            cli.execute_notebook(name, self.root, kernel)

        return job

    def _run_here(self, name: str) -> None:
        from helpers.pipeline import cli

        started = time.monotonic()
        self.say(f"Running stage '{name}':")
        try:
            if name == stages.PUBLISH:
                cli.run_stage(name, self.root)
            else:
                self._run_command(name)
        except Exception as exc:
            self._failure(name, exc, started)
            return
        self.ran.add(name)
        self._record({name: started})

    def _run_command(self, name: str) -> None:
        """A stage the stage list does not know: its command from dvc.yaml, as DVC runs it."""
        command = self.dvc_stages[name].cmd
        for line in command if isinstance(command, list) else [command]:
            print(f"> {line}", flush=True)
            done = subprocess.run(line, shell=True, cwd=self.root, capture_output=True, text=True)
            sys.stdout.write(done.stdout)
            sys.stderr.write(done.stderr)
            if done.returncode:
                raise PipelineError(f"command {shlex.quote(line)} exited with {done.returncode}")

    def _finish(self, batch: list) -> None:
        """Stages that have finished: failures reported; successes let what depends on them start,
        then are recorded in dvc.lock together (what depends on them only reads their outputs)."""
        succeeded = {}
        for finished in batch:
            self.running.discard(finished.key)
            if finished.key == DOCS:  # ahead of publish only: publish builds them if this failed
                if finished.error is not None:
                    self.say(f"The Data Docs were not built ahead ({finished.error}); publish builds them")
            elif finished.error is not None:
                self._failure(finished.key, finished.error, finished.started)
            else:
                succeeded[finished.key] = finished.started
        if self.failed is None:
            self.ran.update(succeeded)
            self._prepare_docs()
            self._start_notebooks()
        unrecordable = {s for s in succeeded if not self.plan.waits_for(s) <= self.recorded}
        for name in unrecordable:  # a stage it depends on failed after it started
            self.say(f"Stage '{name}' finished in {time.monotonic() - succeeded.pop(name):.1f} s; not recorded "
                     "(a stage it depends on failed)")
        if succeeded:
            self._record(succeeded)

    def _record(self, succeeded: dict[str, float]) -> None:
        try:
            record_in_lock([self.dvc_stages[name] for name in succeeded])
        except Exception as exc:  # an output a stage did not write, a full disk: DVC's message
            for name, started in succeeded.items():
                self._failure(name, exc, started)
            return
        self.recorded.update(succeeded)
        for name, started in succeeded.items():
            self.say(f"Stage '{name}' finished in {time.monotonic() - started:.1f} s")

    def _failure(self, name: str, exc: BaseException, started: float) -> None:
        from helpers.pipeline import cli

        code = cli.report_failure(name, exc, self.root, record=self.failed is None)
        self.say(f"Stage '{name}' failed after {time.monotonic() - started:.1f} s (exit {code})", sys.stderr)
        if self.failed is None:
            self.failed, self.code = name, code
