"""The app's long work in a thread the Stop button reaches: reading the inputs and whole runs.

A :class:`Job` is one piece of work (``"load"``: read and aggregate the layers and compute
the travel times; ``"run"``: that when not done yet, then solve and measure the plan) on its
own thread, with a stop token and the stage it is at. The page's script waits for it,
redrawing the stage and the time so far, and a click on Stop sets the token: the work
ends at its next check (every stage start and progress step of
:func:`planner.runs.pipeline.load_inputs`, and inside the solve) with
:class:`~planner.errors.RunStoppedError`, and the page's script, rerun by the click, is
free at once. Loaded inputs (or why they cannot be read) go into a store shared by the
sessions, keyed by :func:`planner.app.state.inputs_key` (equal keys, equal inputs).

No Streamlit here: the page's waiting and its Stop button are in
:mod:`planner.app.views.common`.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from planner.errors import RunStoppedError

if TYPE_CHECKING:
    from planner.app.run import AppRun
    from planner.runs.config import ScenarioConfig
    from planner.runs.results import PlanInputs

#: Loaded inputs (or the error reading them) kept by content key, at most this many.
MAX_INPUTS: Final = 8

#: What a job reports: ``progress(stage, message, share_done)`` (the pipeline's form).
Progress = Callable[[str, str, float], None]


@dataclass(eq=False)
class Job:
    """One piece of long work on its own thread.

    Attributes
    ----------
    kind
        ``"load"``, ``"run"`` or ``"sweep"`` (the trade-off curve).
    key
        The content key of what it makes (:func:`~planner.app.state.inputs_key` of a load,
        :func:`~planner.app.state.run_key` of a run).
    future
        The thread's future: the work's value, or its exception
        (:class:`~planner.errors.RunStoppedError` once stopped).
    stop
        The stop token (set by the Stop button).
    started
        ``time.perf_counter()`` at the start (seconds).
    inputs_key
        The :func:`~planner.app.state.inputs_key` of the inputs it reads (or uses).
    stage
        The stage the work is at (keys of ``app_stage_name_<stage>`` labels), written by the
        work's thread.
    detail
        How far within the stage (``"3/8"`` points of a curve), or ``""``.
    """

    kind: str
    key: str
    future: concurrent.futures.Future[Any]
    stop: threading.Event
    inputs_key: str = ""
    started: float = field(default_factory=time.perf_counter)
    stage: str = "reading"
    detail: str = ""

    @property
    def done(self) -> bool:
        """Whether the work has ended (finished, failed or stopped)."""
        return self.future.done()

    def seconds(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.started

    def stopped(self) -> bool:
        """Whether the work ended because its stop token was set."""
        return self.done and isinstance(self.future.exception(), RunStoppedError)

    def progress(self, stage: str, message: str, share: float) -> None:
        """The work's ``progress``: note the stage, and end the work once Stop was clicked."""
        self.stage = stage
        if self.stop.is_set():
            raise RunStoppedError(stage)


def start(kind: str, key: str, work: Callable[[Job], Any], *, inputs_key: str) -> Job:
    """Start ``work(job)`` on its own thread and return the :class:`Job` (``work`` reports its
    stages through ``job.progress`` and hands ``job.stop`` to what takes a stop token)."""
    stop = threading.Event()
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    job = Job(kind=kind, key=key, future=future, stop=stop, inputs_key=inputs_key)

    def target() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            value = work(job)
        except BaseException as exc:  # handed to the page, which says it
            future.set_exception(exc)
        else:
            future.set_result(value)

    threading.Thread(target=target, name=f"planner-{kind}", daemon=True).start()
    return job


def keep(store: MutableMapping[str, Any], key: str, value: Any, *, most: int) -> None:
    """Put ``value`` under ``key`` in ``store``; the oldest entries go beyond ``most``."""
    store.pop(key, None)
    store[key] = value
    for old in list(store)[: max(0, len(store) - most)]:
        store.pop(old, None)


def load_work(
    config: ScenarioConfig, key: str, store: MutableMapping[str, Any]
) -> Callable[[Job], PlanInputs | None]:
    """The work of a ``"load"`` job: the inputs of ``config`` into ``store[key]`` (or the
    error reading them, so that the page says it without reading again)."""
    from planner.runs.pipeline import load_inputs

    def work(job: Job) -> PlanInputs | None:
        try:
            inputs = load_inputs(config, progress=job.progress, warn=False)
        except RunStoppedError:
            raise
        except Exception as exc:  # said by the page (in the Data step), not raised again
            keep(store, key, exc, most=MAX_INPUTS)
            return None
        keep(store, key, inputs, most=MAX_INPUTS)
        return inputs

    return work


def run_work(
    config: ScenarioConfig,
    *,
    inputs_key: str,
    run_key: str,
    store: MutableMapping[str, Any],
    keep_run: Callable[[str, AppRun], None],
) -> Callable[[Job], AppRun]:
    """The work of a ``"run"`` job: the inputs (from ``store`` or read now, stoppable), then
    :func:`planner.app.run.solve_run` with the job's stop token; the run goes to
    ``keep_run(run_key, run)``. A reading error is raised (the page says it)."""
    from planner.app.run import solve_run

    def work(job: Job) -> AppRun:
        inputs = store.get(inputs_key)
        if inputs is None:
            inputs = load_work(config, inputs_key, store)(job)
            if inputs is None:
                inputs = store[inputs_key]
        if isinstance(inputs, BaseException):
            raise inputs
        job.stage = "solve"
        run = solve_run(inputs, config, key=run_key, progress=job.progress, stop=job.stop)
        keep_run(run_key, run)
        return run

    return work


def sweep_work(run: AppRun, sweep_p: tuple[int, int]) -> Callable[[Job], Any]:
    """The work of a ``"sweep"`` job: :func:`planner.app.run.sweep_curve` under the job's
    stop token, which ends it after the point being solved (the solver's own checks)."""
    from planner.app.run import sweep_curve
    from planner.optimize.timing import stop_scope

    def work(job: Job) -> Any:
        job.stage = "sweep"

        def progress(done: int, total: int) -> None:
            job.detail = f"{done}/{total}"
            if job.stop.is_set():
                raise RunStoppedError("sweep")

        with stop_scope(job.stop):
            curve = sweep_curve(run, sweep_p, progress=progress)
        if job.stop.is_set():  # its last points may be stopped ones: not a curve
            raise RunStoppedError("sweep")
        return curve

    return work
