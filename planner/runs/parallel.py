"""Run many small tasks over shared inputs: serially, on a local Dask cluster, or a remote one.

Sweeps and robustness draws share one pattern: a few large, read-only objects
(the loaded inputs with their travel matrix) and many small tasks that each
take one of them plus a few settings and return a small result. The large
objects are shipped to every worker once (``client.scatter(..., broadcast=True)``);
the tasks carry only their settings.

Dask is imported lazily: a serial run never touches it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias

from planner.errors import InputError, OptionalDependencyError

#: ``progress(done, total)``: called after each finished task.
ProgressCallback: TypeAlias = Callable[[int, int], None]

#: Seconds to wait for a remote scheduler to answer, and for it to have a worker.
CONNECT_TIMEOUT_S = 3.0
WORKER_WAIT_S = 10.0


@dataclass(frozen=True)
class Task:
    """One unit of work: ``fn(shared[group], *args)``."""

    group: Hashable
    args: tuple[Any, ...]


@dataclass(frozen=True)
class ExecutionInfo:
    """Where the tasks ran: ``"serial"``, ``"local"`` (a LocalCluster) or the scheduler address.

    ``startup_s`` is the time spent starting (or connecting to) the cluster and
    importing the planner on its workers, before any task ran.
    """

    scheduler: str
    n_workers: int
    startup_s: float = 0.0


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        raise OptionalDependencyError(
            "parallel sweeps need Dask distributed; install it with "
            "`pip install 'dask[distributed]'` or run with --serial."
        ) from None
    return distributed


def _probe_worker() -> str:
    """Runs on each worker: proves the planner package (and its solver) imports there."""
    import planner.runs.pipeline  # noqa: F401
    from planner import __version__

    return str(__version__)


@contextmanager
def dask_client(
    scheduler: str | Any | None = None, *, n_workers: int | None = None, n_tasks: int = 1
) -> Iterator[tuple[Any, ExecutionInfo]]:
    """A Dask client: on ``scheduler`` (an address or a Client), or on a new LocalCluster.

    Parameters
    ----------
    scheduler
        ``None``: start a local cluster sized to the machine (one single-threaded
        worker process per core, at most one per task) and close it afterwards. A
        string: the address of a running scheduler (``tcp://host:8786``). A
        ``distributed.Client``: used as is, left open.
    n_workers
        Workers of the local cluster (default: the number of cores).
    n_tasks
        How many tasks will run (no more workers than tasks are started).

    Raises
    ------
    InputError
        The scheduler cannot be reached, has no workers, or its workers cannot
        import the planner.
    """
    distributed = _import_distributed()
    start = time.perf_counter()
    if scheduler is not None and not isinstance(scheduler, str):
        yield (
            scheduler,
            ExecutionInfo(
                str(scheduler.scheduler.address), len(scheduler.scheduler_info()["workers"])
            ),
        )
        return
    if scheduler is None:
        if n_workers is not None and n_workers < 1:
            raise InputError(f"`workers` must be at least 1; got {n_workers}.")
        n = max(1, min(n_workers or os.cpu_count() or 1, max(n_tasks, 1)))
        cluster = distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # Even without a dashboard the scheduler serves HTTP (health checks); on a free port,
            # not 8787, which another cluster on a shared machine may hold.
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        )
        client = distributed.Client(cluster, set_as_default=False)
        try:
            client.run(_probe_worker)  # import the planner on every worker before timing tasks
            yield client, ExecutionInfo("local", n, time.perf_counter() - start)
        finally:
            client.close()
            cluster.close()
        return

    address = scheduler.strip()
    try:
        client = distributed.Client(
            address, timeout=f"{CONNECT_TIMEOUT_S:g}s", set_as_default=False
        )
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise InputError(
            f"cannot reach the Dask scheduler at --scheduler {address!r} ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no answer'}); check the address "
            "(e.g. tcp://host:8786) and that the scheduler is running, or leave out --scheduler "
            "to use a local cluster."
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except (TimeoutError, OSError):
            raise InputError(
                f"the Dask scheduler at {address!r} has no workers; start workers "
                f"(`dask worker {address}`) or leave out --scheduler."
            ) from None
        try:
            client.run(_probe_worker)
        except Exception as exc:
            raise InputError(
                f"the Dask workers of {address!r} cannot import the planner ({type(exc).__name__}: "
                f"{exc}); install service-centre-planner (same version) on every worker."
            ) from None
        n = len(client.scheduler_info()["workers"])
        yield client, ExecutionInfo(address, n, time.perf_counter() - start)
    finally:
        client.close()


def run_tasks(
    fn: Callable[..., Any],
    shared: Mapping[Any, Any],
    tasks: Sequence[Task],
    *,
    parallel: bool = True,
    scheduler: str | Any | None = None,
    n_workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[list[Any], ExecutionInfo]:
    """Run ``fn(shared[task.group], *task.args)`` for every task; results in task order.

    In parallel mode each shared object is sent to every worker once; the first
    task that raises cancels the others and its exception is re-raised here.
    """
    total = len(tasks)
    if not parallel:
        results = []
        for done, task in enumerate(tasks, 1):
            results.append(fn(shared[task.group], *task.args))
            if progress is not None:
                progress(done, total)
        return results, ExecutionInfo("serial", 1)

    distributed = _import_distributed()
    with dask_client(scheduler, n_workers=n_workers, n_tasks=total) as (client, info):
        remote = {
            key: client.scatter(value, broadcast=True, hash=False)
            for key, value in shared.items()
            if any(t.group == key for t in tasks)
        }
        futures = [client.submit(fn, remote[t.group], *t.args, pure=False) for t in tasks]
        position = {f.key: i for i, f in enumerate(futures)}
        out: list[Any] = [None] * total
        try:
            for done, future in enumerate(distributed.as_completed(futures, loop=client.loop), 1):
                out[position[future.key]] = future.result()
                if progress is not None:
                    progress(done, total)
        except BaseException:
            client.cancel(futures)
            raise
        finally:
            for f in remote.values():
                f.release()
        return out, info
