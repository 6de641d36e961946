"""Province-size inputs on a Dask cluster: raster aggregation by blocks.

The expensive, size-proportional input step of a province run is summing tens of
millions of population pixels into cells. :func:`aggregate_population` splits the
raster into windows (:mod:`planner.inputs.raster_blocks`) and runs one task per window
on a Dask cluster: a :class:`distributed.LocalCluster` on this machine by default, or a
running scheduler given by address (``tcp://host:8786``) whose workers can read the
raster at the same path. Each task holds one window (memory independent of the
province's size); the merged sums (one number per populated cell) come back here.

Sweeps and robustness draws already run on the same clusters
(:func:`planner.runs.parallel.run_tasks`); network travel costs by blocks of sites go
through :func:`planner.travel.road_matrix.network_matrix` with
``executor=cluster(...).executor()``, and straight-line k-nearest distances by blocks of
demand points through :func:`planner.travel.blocks.nearest_sites` with
``map_fn=cluster(...).map``.
"""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from planner.inputs.raster_blocks import BLOCK_PIXELS, CellSums, aggregate_raster
from planner.runs.parallel import ExecutionInfo, dask_client

__all__ = ["Cluster", "ProvinceCells", "aggregate_population", "cluster", "worker_peak_rss_mb"]


class Cluster:
    """Where block tasks run: ``map`` (serial, or a Dask executor's) and its description."""

    def __init__(self, map_fn: Callable[..., Iterable[Any]], info: ExecutionInfo, client: Any):
        self.map = map_fn
        self.info = info
        self._client = client

    def executor(self) -> Any:
        """A ``concurrent.futures`` executor on the cluster (None when serial), e.g. for
        :func:`planner.travel.road_matrix.network_matrix` (``executor=``)."""
        return None if self._client is None else self._client.get_executor(pure=False)

    def worker_peak_mb(self) -> tuple[float, ...]:
        """Peak resident memory of each worker process so far, MB (empty when serial)."""
        if self._client is None:
            return ()
        return tuple(round(float(v), 1) for v in self._client.run(worker_peak_rss_mb).values())

    def worker_cpu_s(self) -> tuple[float, ...]:
        """CPU seconds (user + system) each worker process has used so far (empty when serial)."""
        if self._client is None:
            return ()
        return tuple(round(float(v), 1) for v in self._client.run(process_cpu_s).values())


@contextmanager
def cluster(
    *, parallel: bool = True, scheduler: str | None = None, n_workers: int | None = None
) -> Iterator[Cluster]:
    """A place to run block tasks: here (``parallel=False``), a local Dask cluster of
    ``n_workers`` processes (default one per core), or the scheduler at ``scheduler``.

    Raises
    ------
    planner.errors.InputError
        A scheduler that cannot be reached, has no workers, or cannot import the planner.
    """
    if not parallel:
        yield Cluster(map, ExecutionInfo("serial", 1), None)
        return
    tasks = n_workers or os.cpu_count() or 1
    with dask_client(scheduler, n_workers=n_workers, n_tasks=tasks) as (client, info):
        yield Cluster(client.get_executor(pure=False).map, info, client)


@dataclass(frozen=True)
class ProvinceCells:
    """The cell sums and where they were computed."""

    cells: CellSums
    execution: ExecutionInfo
    #: Peak resident memory of each worker process in MB (empty when serial).
    worker_peak_mb: tuple[float, ...] = ()


def process_cpu_s() -> float:
    """CPU seconds (user + system) of this process."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return float(r.ru_utime + r.ru_stime)


def worker_peak_rss_mb() -> float:
    """Peak resident memory of this process in MB.

    On Linux the high-water mark of this process's own memory (``VmHWM``): ``ru_maxrss``
    survives ``exec``, so a Dask worker spawned by a client holding 3 GB would report
    3 GB. Elsewhere ``ru_maxrss`` (kB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)


def aggregate_population(
    path: str | os.PathLike[str],
    *,
    cell_size_m: float,
    parallel: bool = True,
    scheduler: str | None = None,
    n_workers: int | None = None,
    block_pixels: int = BLOCK_PIXELS,
    band: int = 1,
    crs: str | None = None,
) -> ProvinceCells:
    """Sum a population raster into ``cell_size_m`` squares, one Dask task per window.

    Parameters
    ----------
    path
        GeoTIFF of people per pixel, readable by every worker at this path.
    cell_size_m
        Side of the output cells in metres (local UTM zone).
    parallel
        False: run the windows one after another here (no Dask).
    scheduler
        Address of a running Dask scheduler; None: a local cluster of ``n_workers``
        single-threaded worker processes (default: one per core).
    n_workers
        Workers of the local cluster.
    block_pixels
        Side of each window in pixels (the memory of one task).
    band, crs
        As :func:`planner.inputs.raster_blocks.aggregate_raster`.

    Raises
    ------
    planner.errors.DataError
        A raster that cannot be read or holds no people.
    planner.errors.InputError
        A scheduler that cannot be reached or has no workers.
    """
    with cluster(parallel=parallel, scheduler=scheduler, n_workers=n_workers) as where:
        cells = aggregate_raster(
            path,
            cell_size_m=cell_size_m,
            band=band,
            crs=crs,
            block_pixels=block_pixels,
            map_fn=where.map,
        )
        return ProvinceCells(cells, where.info, where.worker_peak_mb())
