"""Jupyter kernels started once per run and reused by one stage notebook after another.

Starting a kernel and importing pandas, matplotlib and Great Expectations costs a stage several
seconds, more than most stages spend on their data. A run therefore starts a few kernels ahead
(one per core by default), each owned by a worker thread that executes stage notebooks on it in
turn: the imports are paid once per kernel, not once per stage.

Between two notebooks a kernel is put back to how a fresh one looks to a notebook (:data:`RESET`):
the user namespace emptied and the execution count back at 1 (IPython's own reset), matplotlib's
figures closed and its settings back to the defaults, the working directory the project root,
warnings shown again as in a new process. Imported modules stay imported: that is the saving.
Module-level caches that stay warm (a Great Expectations context, parsed ``params.yaml``) are
keyed on what they read, so they cannot carry one stage's data into the next.

A stage notebook is executed as Papermill executes it (parameters injected, metadata, the error
cell on failure) but by an engine that runs it on the worker's kernel (:func:`execute`).

Each kernel inherits the run lock's descriptor, like ``dvc repro`` did: if the run is killed, the
lock stays held until its kernels have gone too (they exit within a second of losing their parent).
"""

from __future__ import annotations

import logging
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.pipeline.log import copy_lines

log = logging.getLogger(__name__)

KERNEL_NAME = "python3"
ENGINE = "helpers-warm-kernel"
STARTUP_TIMEOUT = 120
RESET_TIMEOUT = 120
START_ATTEMPTS = 3
SAVE_EVERY = 5.0  # seconds between Papermill's saves of a running notebook (its last is always made)

# Run silently in the kernel before each notebook; defines nothing that survives it.
RESET = """\
def __helpers_reset(root):
    import gc, os, sys, warnings
    get_ipython().reset(new_session=True)  # user namespace, Out cache; execution count back to 1
    if "matplotlib" in sys.modules:
        import matplotlib
        if "matplotlib.pyplot" in sys.modules:
            matplotlib.pyplot.close("all")
        matplotlib.rc_file_defaults()  # the settings a fresh import has (the backend stays)
    getattr(warnings, "_filters_mutated", lambda: None)()  # a warning shows again, as in a new process
    os.chdir(root)
    gc.collect()  # the last notebook's garbage; then what is left (modules, their caches) is frozen, so
    gc.freeze()   # later collections scan only what the next notebook makes, not a tenth of a second of it
__helpers_reset({root!r})
"""


# Run once in each kernel as soon as it is up: the modules the stage notebooks import (pandas,
# matplotlib, seaborn and scipy under them: seconds), loaded while the run is still asking DVC
# what to do, not in the first stage's time. (Great Expectations waits for the first gate.)
WARM_UP = """\
import importlib, pyarrow.parquet, helpers.pipeline.notebook, helpers.render.plots
from helpers.pipeline import stages
for stage in stages.STAGES: importlib.import_module(stage.module)
"""


class KernelError(RuntimeError):
    """A kernel that would not start, or code of ours that failed in it."""


class Kernel:
    """One Jupyter kernel, driven from the thread that started it (the event loop its client uses)."""

    def __init__(self, number: int, root: Path, pass_fds: tuple[int, ...] = ()):
        self.number, self.root, self.pass_fds = number, root, pass_fds
        self.km: Any = None
        self.kc: Any = None
        self.notebooks = 0  # executed on it so far

    def start(self, timeout: float = STARTUP_TIMEOUT) -> None:
        from jupyter_core.utils import run_sync

        run_sync(self._start)(timeout)

    async def _start(self, timeout: float) -> None:
        for attempt in range(1, START_ATTEMPTS + 1):
            code = await self._launch(timeout)
            if code is None:
                break
            # Its ports are picked free, then bound by the kernel a moment later: another socket
            # (often a client's outgoing connection, from the same range) can take one in between.
            message = f"kernel {self.number} exited while starting (exit code {code}; see its stderr above)"
            if attempt == START_ATTEMPTS:
                raise KernelError(message)
            log.warning("%s; starting it again on new ports", message)
        self.kc.allow_stdin = False
        await self.kc.execute_interactive(WARM_UP, silent=True, store_history=False, allow_stdin=False,
                                          timeout=timeout, output_hook=lambda msg: None)

    async def _launch(self, timeout: float) -> int | None:
        """Start the kernel and wait until it answers: None, or the exit code of a kernel that died."""
        from jupyter_client.manager import AsyncKernelManager

        self.km = AsyncKernelManager(kernel_name=KERNEL_NAME)
        # History off: kernels started together would otherwise contend for IPython's history file.
        await self.km.start_kernel(cwd=str(self.root), pass_fds=self.pass_fds, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, extra_arguments=["--HistoryManager.enabled=False"])
        process = self.km.provisioner.process
        for pipe, name in ((process.stdout, "stdout"), (process.stderr, "stderr")):
            threading.Thread(target=copy_lines, args=(pipe, name), daemon=True).start()
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            await self.kc.wait_for_ready(timeout=timeout)
            return None
        except RuntimeError as exc:
            if process.poll() is None:  # alive but silent: not worth another wait
                raise KernelError(f"kernel {self.number} did not start: {exc}") from None
        self.kc.stop_channels()
        await self.km.shutdown_kernel(now=True)  # its connection file and cached ports
        return process.returncode

    def reset(self) -> None:
        """Make the kernel look new to the next notebook (see :data:`RESET`)."""
        self.run_quietly(RESET.format(root=str(self.root)))

    def run_quietly(self, code: str, timeout: float = RESET_TIMEOUT) -> None:
        """Run ``code`` silently (no history, no output kept); raise :class:`KernelError` if it fails."""
        from jupyter_core.utils import run_sync

        reply = run_sync(self.kc.execute_interactive)(code, silent=True, store_history=False, allow_stdin=False,
                                                      timeout=timeout, output_hook=lambda msg: None)
        content = reply["content"]
        if content["status"] != "ok":
            raise KernelError(f"kernel {self.number}: {content.get('ename')}: {content.get('evalue')}")

    def kill(self) -> None:
        """Stop the kernel process at once (any thread): for a run that is being abandoned."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            process.kill()

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            run_sync(self.km.shutdown_kernel)(now=True)


# --- the pool ----------------------------------------------------------------------------------

@dataclass
class Finished:
    """A job's outcome: its value, or the exception it raised, and when it ran (``time.monotonic``)."""

    key: str
    value: Any
    error: BaseException | None
    started: float
    ended: float
    kernel: int


Job = Callable[[Kernel], Any]


class KernelPool:
    """``size`` kernels, each with a worker thread that takes jobs from a shared queue.

    Used as a context manager: entering starts the kernels (side by side, in their threads);
    leaving shuts them down, or kills them if the run is being abandoned by an exception. Jobs
    are submitted with :meth:`submit` and their outcomes collected with :meth:`finished`, in the
    order they finish. Each job gets a kernel reset to look new.
    """

    def __init__(self, root: Path, size: int, *, pass_fds: tuple[int, ...] = ()):
        self.kernels = [Kernel(n + 1, root, pass_fds) for n in range(max(size, 1))]
        self._jobs: queue.Queue = queue.Queue()
        self._finished: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        self.used = False  # given jobs (a pool started ahead may find none)

    @property
    def size(self) -> int:
        return len(self.kernels)

    def __enter__(self) -> KernelPool:
        if self._threads:  # started ahead (:meth:`start`)
            return self
        for kernel in self.kernels:
            thread = threading.Thread(target=self._work, args=(kernel,), name=f"kernel-{kernel.number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is not None:  # abandoned (an error, Ctrl-C): do not wait for notebooks to finish
            for kernel in self.kernels:
                kernel.kill()
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=None if kind is None else 10)

    def start(self) -> KernelPool:
        """Start the kernels now (as entering does), to be used later by ``with pool:``."""
        return self.__enter__()

    def close_unused(self) -> None:
        """Stop a pool no job was given, without waiting for kernels still starting: each worker
        shuts its kernel down once it is up (a kernel also exits soon after its parent does)."""
        for _ in self._threads:
            self._jobs.put(None)

    def submit(self, key: str, job: Job) -> None:
        self._jobs.put((key, job))

    def finished(self) -> list[Finished]:
        """The jobs finished since last asked, waiting for one if none has."""
        done = [self._finished.get()]
        while True:
            try:
                done.append(self._finished.get_nowait())
            except queue.Empty:
                return done

    def _work(self, kernel: Kernel) -> None:
        try:
            kernel.start()
            failure = None
        except BaseException as exc:  # every job this worker takes reports it
            failure = exc if isinstance(exc, KernelError) else KernelError(f"kernel {kernel.number} did not start: {exc}")
        try:
            while (item := self._jobs.get()) is not None:
                key, job = item
                started = time.monotonic()
                value, error = None, failure
                if failure is None:
                    try:
                        kernel.reset()
                        value = job(kernel)
                    except BaseException as exc:  # handed to the scheduler, which decides
                        error = exc
                    kernel.notebooks += 1
                self._finished.put(Finished(key, value, error, started, time.monotonic(), kernel.number))
        finally:
            try:
                kernel.shutdown()
            except Exception as exc:  # a kernel that will not stop is killed; the run's result stands
                log.debug("kernel %d shutdown: %s", kernel.number, exc)
                kernel.kill()


# --- Papermill on a warm kernel ------------------------------------------------------------------

def _at_most_every(seconds: float, save: Callable[..., Any]) -> Callable[..., Any]:
    """``save``, skipped when it last ran under ``seconds`` ago. Papermill saves the whole notebook
    as each cell starts and ends: dozens of writes of megabytes of figures for a board paper, in the
    process that runs the stages, which a run of seconds does not need."""
    last = time.monotonic()

    def throttled(**kwargs: Any) -> Any:
        nonlocal last
        if time.monotonic() - last < seconds:
            return None
        last = time.monotonic()
        return save(**kwargs)

    return throttled


def register_engine() -> None:
    """A Papermill engine that runs the notebook on a given kernel instead of starting one
    (registering it again is harmless: the registry is a dict)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, km=None, kc=None, **kwargs):
            client = PapermillNotebookClient(nb_man, km=km, kernel_name=kernel_name, timeout=execution_timeout,
                                             startup_timeout=start_timeout, log=logging.getLogger("papermill"),
                                             log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = kc  # a client of ours: nbclient neither starts nor stops one
            save = nb_man.save
            nb_man.save = _at_most_every(SAVE_EVERY, save)
            try:
                return client.execute()
            finally:
                nb_man.save = save  # Papermill's last save, once the notebook has ended, is always made

    papermill_engines.register(ENGINE, WarmKernelEngine)


def execute(kernel: Kernel, source: Path, output: Path, parameters: dict) -> None:
    """Papermill's ``execute_notebook`` of ``source`` into ``output``, on ``kernel``.

    Raises ``PapermillExecutionError`` as Papermill does when a cell fails (``output`` then holds
    the notebook with the error).
    """
    import papermill

    register_engine()
    papermill.execute_notebook(str(source), str(output), parameters=parameters, engine_name=ENGINE,
                               kernel_name=KERNEL_NAME, progress_bar=False, log_output=False,
                               km=kernel.km, kc=kernel.kc)
