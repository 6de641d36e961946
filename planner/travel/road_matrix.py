"""Travel matrices on a road network: demand points and sites snapped to the roads,
Dijkstra from every site (chunked, in parallel), a disk cache, and the notes and
warnings of points that could not be routed."""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from planner.errors import InputError
from planner.files import atomic_path
from planner.travel import road_blocks, routing
from planner.travel.road_network import (
    Component,
    Mode,
    RoadNetwork,
    RoutingWarning,
    Unsnapped,
    as_lonlat,
    check_mode_served,
    check_network,
    check_positive,
    check_snapping,
)
from planner.travel.routing import ChunkResult, ModeGraph, RoutingJob
from planner.travel.speeds import (
    FALLBACK_SPEED_KMH,
)
from planner.travel.straight_line import TravelMatrix, straight_line_matrix

#: Bumped whenever the cached matrix format or the routing rules change.
_CACHE_VERSION = "roads-v1"
#: Target size (sources x nodes) of one chunk's Dijkstra arrays: about 100 MB of temporaries.
_CHUNK_CELLS = 4_000_000

route_chunk = routing.route_chunk


# --------------------------------------------------------------------------- snapping


@dataclass(frozen=True, eq=False)
class _Snapped:
    node: np.ndarray  # -1 = not routable
    snap_m: np.ndarray


def snap_points(
    network: RoadNetwork,
    graph: ModeGraph,
    lonlat: np.ndarray,
    *,
    max_snap_m: float,
    component: str,
) -> _Snapped:
    xy = _points_xy(network, lonlat)
    open_nodes = np.flatnonzero(graph.has_arc)
    coords = np.column_stack([network.x_m, network.y_m])
    candidates = open_nodes if component == "all" else open_nodes[graph.component[open_nodes] == 0]
    node, dist = routing.snap(coords[candidates], candidates, xy, max_snap_m)
    return _Snapped(node, dist)


def _points_xy(network: RoadNetwork, lonlat: np.ndarray) -> np.ndarray:
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", network.crs, always_xy=True).transform(
        lonlat[:, 0], lonlat[:, 1]
    )
    return np.column_stack([x, y])


def index_list(idx: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(int(i)) for i in idx[:limit])
    return shown + (f", ... ({idx.size - limit} more)" if idx.size > limit else "")


def _no_snap_error(
    network: RoadNetwork, lonlat: np.ndarray, name: str, max_snap_m: float, mode: str
) -> InputError:
    b = network.bounds_lonlat
    return InputError(
        f"None of the {lonlat.shape[0]} points in `{name}` lies within max_snap_m={max_snap_m:g} m "
        f"of a road open to {mode!r} in {network.source} (network covers lon {b[0]:.4f}-{b[2]:.4f}, "
        f"lat {b[1]:.4f}-{b[3]:.4f}; points cover lon {lonlat[:, 0].min():.4f}-"
        f"{lonlat[:, 0].max():.4f}, lat {lonlat[:, 1].min():.4f}-{lonlat[:, 1].max():.4f}). "
        "Use a network that covers the study area, and lon/lat points in EPSG:4326 (not GCJ-02)."
    )


# --------------------------------------------------------------------------- matrices


def prepare_routing(
    network: RoadNetwork,
    demand_lonlat: Any,
    site_lonlat: Any,
    *,
    mode: Mode = "drive",
    cutoff_minutes: float | None = 30.0,
    max_snap_m: float = 500.0,
    component: Component = "largest",
    access_speed_kmh: float | None = None,
    chunk_size: int | None = None,
    kernel: Literal["auto", "numba", "scipy"] = "auto",
    n_threads: int = 1,
) -> RoutingJob:
    """Snap points and build the picklable :class:`RoutingJob` behind :func:`network_matrix`.

    For a cluster: ``job = prepare_routing(...)``, then map :func:`route_chunk`
    over ``job.chunks()`` (e.g. ``client.map(route_chunk, [client.scatter(job)] * k,
    job.chunks())``) and combine with :func:`assemble_matrix`. Parameters as in
    :func:`network_matrix`, plus ``kernel`` (``"auto"`` takes the compiled numba
    kernel when numba is installed, else scipy's Dijkstra; both give the same
    times) and ``n_threads`` (threads of the numba kernel within one chunk).
    Raises :class:`InputError` when no demand point or no site can be snapped
    (the network does not cover the study area).
    """
    network = check_network(network)
    graph = check_mode_served(network, mode)
    demand = as_lonlat(demand_lonlat, "demand_lonlat")
    sites = as_lonlat(site_lonlat, "site_lonlat")
    cutoff = (
        math.inf
        if cutoff_minutes is None
        else check_positive(cutoff_minutes, "cutoff_minutes", "minutes")
    )
    max_snap_m, access = check_snapping(mode, max_snap_m, component, access_speed_kmh)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise InputError(f"`chunk_size` must be a positive number of sites; got {chunk_size!r}.")
    d = snap_points(network, graph, demand, max_snap_m=max_snap_m, component=component)
    s = snap_points(network, graph, sites, max_snap_m=max_snap_m, component=component)
    if (d.node < 0).all():
        raise _no_snap_error(network, demand, "demand_lonlat", max_snap_m, mode)
    if (s.node < 0).all():
        raise _no_snap_error(network, sites, "site_lonlat", max_snap_m, mode)
    per_min = access * 1000.0 / 60.0
    if chunk_size is None:
        chunk_size = int(min(256, max(1, _CHUNK_CELLS // max(network.n_nodes, 1))))
    if kernel == "auto":
        kernel = "numba" if routing.numba_available() else "scipy"
    elif kernel not in ("numba", "scipy"):
        raise InputError(f"`kernel` must be 'auto', 'numba' or 'scipy'; got {kernel!r}.")
    if not isinstance(n_threads, int) or n_threads < 1:
        raise InputError(f"`n_threads` must be a positive number of threads; got {n_threads!r}.")
    rev, rev_length = routing.reversed_csr(graph)
    return RoutingJob(
        graph_reversed=rev,
        length_reversed_m=rev_length,
        demand_node=d.node,
        demand_access_min=np.where(d.node >= 0, d.snap_m / per_min, 0.0),
        demand_access_m=np.where(d.node >= 0, d.snap_m, 0.0),
        site_node=s.node,
        site_access_min=np.where(s.node >= 0, s.snap_m / per_min, 0.0),
        site_access_m=np.where(s.node >= 0, s.snap_m, 0.0),
        cutoff_minutes=cutoff,
        chunk_size=chunk_size,
        kernel=kernel,
        n_threads=n_threads,
    )


def assemble_matrix(
    job: RoutingJob, results: Sequence[ChunkResult], *, extra: Sequence[ChunkResult] = ()
) -> tuple[sp.csr_array, sp.csr_array]:
    """Sparse ``(minutes, distance_m)`` with one shared structure from chunk results.

    Chunks arrive grouped by site (column), so they already form a compressed-column
    matrix; it is transposed to rows once, on a matrix of positions, and both value
    arrays are gathered through it: no global sort and no second structure.
    """
    parts = [*results, *extra]
    n_d, n_s = job.demand_node.size, job.site_node.size
    index_dtype = np.int32 if max(n_d, n_s) < 2**31 else np.int64
    if not parts:
        empty = sp.csr_array((n_d, n_s), dtype=np.float64)
        return empty, empty.copy()
    one = parts[0] if len(parts) == 1 else _concat_results(parts)
    del parts
    rows: np.ndarray = one.demand_index.astype(index_dtype, copy=False)
    cols: np.ndarray = one.site_index.astype(index_dtype, copy=False)
    minutes, dist = one.minutes, one.distance_m
    del one
    if cols.size > 1 and (cols[1:] < cols[:-1]).any():
        order = np.argsort(cols, kind="stable")
        rows, cols, minutes, dist = rows[order], cols[order], minutes[order], dist[order]
        del order
    col_ptr = np.r_[0, np.cumsum(np.bincount(cols, minlength=n_s))].astype(np.int64)
    del cols
    # Positions are exact in float64 up to 2**53 entries.
    pos = sp.csc_array(
        (np.arange(rows.size, dtype=np.float64), rows, col_ptr), shape=(n_d, n_s)
    ).tocsr()
    del rows
    perm = pos.data.astype(np.int64)
    indices = pos.indices.astype(index_dtype, copy=False)
    indptr = pos.indptr.astype(index_dtype, copy=False)
    del pos
    m = sp.csr_array((minutes[perm], indices, indptr), shape=(n_d, n_s))
    dm = sp.csr_array((dist[perm], indices.copy(), indptr.copy()), shape=(n_d, n_s))
    return m, dm


def _concat_results(parts: Sequence[ChunkResult]) -> ChunkResult:
    """One :class:`ChunkResult` holding all pairs of ``parts``, in order."""
    return ChunkResult(
        np.concatenate([p.demand_index for p in parts]),
        np.concatenate([p.site_index for p in parts]),
        np.concatenate([p.minutes for p in parts]),
        np.concatenate([p.distance_m for p in parts]),
    )


def _fallback_pairs(
    network: RoadNetwork,
    demand: np.ndarray,
    sites: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    *,
    detour_factor: float,
    speed_kmh: float,
    cutoff: float,
) -> ChunkResult:
    """Straight-line pairs for ``rows`` x all sites and all other demand x ``cols``."""
    dxy = _points_xy(network, demand)
    sxy = _points_xy(network, sites)
    out_r, out_c, out_t, out_d = [], [], [], []
    blocks = [(rows, np.arange(sites.shape[0]))]
    if cols.size:
        other = np.setdiff1d(np.arange(demand.shape[0]), rows)
        blocks.append((other, cols))
    for r, c in blocks:
        if r.size == 0 or c.size == 0:
            continue
        tm = straight_line_matrix(dxy[r], sxy[c], detour_factor=detour_factor, speed_kmh=speed_kmh)
        minutes = np.asarray(tm.minutes)
        ii, jj = np.nonzero(minutes <= cutoff)
        out_r.append(r[ii])
        out_c.append(c[jj])
        out_t.append(np.maximum(minutes[ii, jj], routing.MIN_ENTRY))
        out_d.append(np.maximum(np.asarray(tm.distance_m)[ii, jj], routing.MIN_ENTRY))
    if not out_r:
        e = np.empty(0, dtype=np.int64)
        return ChunkResult(e, e, np.empty(0), np.empty(0))
    return ChunkResult(
        np.concatenate(out_r).astype(np.int64),
        np.concatenate(out_c).astype(np.int64),
        np.concatenate(out_t),
        np.concatenate(out_d),
    )


def _cache_key(
    network: RoadNetwork, demand: np.ndarray, sites: np.ndarray, settings: dict[str, Any]
) -> str:
    h = hashlib.sha256(_CACHE_VERSION.encode())
    h.update(network.fingerprint.encode())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    h.update(np.ascontiguousarray(demand).tobytes())
    h.update(np.ascontiguousarray(sites).tobytes())
    return h.hexdigest()


def _save_cache(path: Path, tm: TravelMatrix) -> None:
    minutes = sp.csr_array(tm.minutes)
    dist = sp.csr_array(tm.distance_m)
    meta = json.dumps(
        {
            "note": tm.note,
            "mode": tm.mode,
            "cutoff_minutes": tm.cutoff_minutes,
            "detour_factor": tm.detour_factor,
            "speed_kmh": tm.speed_kmh,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written to a temporary file and renamed, so a crash never leaves half a cache entry.
    with atomic_path(path, suffix=".npz.tmp") as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            indptr=minutes.indptr,
            indices=minutes.indices,
            minutes=minutes.data,
            distance_m=dist.data,
            shape=np.array(minutes.shape, dtype=np.int64),
            unroutable_demand=tm.unroutable_demand,
            unroutable_sites=tm.unroutable_sites,
            meta=np.array(meta),
        )


def _load_cache(path: Path) -> TravelMatrix | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            shape = tuple(int(v) for v in z["shape"])
            indptr, indices = z["indptr"], z["indices"]
            minutes = sp.csr_array((z["minutes"], indices, indptr), shape=shape)
            dist = sp.csr_array((z["distance_m"], indices.copy(), indptr.copy()), shape=shape)
            meta = json.loads(str(z["meta"]))
            ud, us = z["unroutable_demand"], z["unroutable_sites"]
    except (OSError, KeyError, ValueError):
        return None  # unreadable or from another version: recompute and overwrite
    return TravelMatrix(
        distance_m=dist,
        minutes=minutes,
        method="network",
        detour_factor=meta["detour_factor"],
        speed_kmh=meta["speed_kmh"],
        mode=meta["mode"],
        cutoff_minutes=meta["cutoff_minutes"],
        unroutable_demand=ud.astype(np.int64),
        unroutable_sites=us.astype(np.int64),
        note=meta["note"],
    )


def _run_chunks(
    network: RoadNetwork,
    mode: str,
    job: RoutingJob,
    *,
    executor: Executor | None,
    block_sites: int | None,
    progress: Callable[[str, float], None] | None = None,
) -> list[ChunkResult]:
    if executor is not None:
        # One task per block of nearby sites, carrying only the roads within reach.
        return road_blocks.run_blocks(
            network, mode, job, executor, block_sites=block_sites or road_blocks.BLOCK_SITES
        )
    chunks = list(job.chunks())
    # The compiled kernel spreads each chunk's sites over job.n_threads threads; the
    # scipy kernel (only when numba cannot be imported) runs the chunks one by one.
    out = []
    for i, chunk in enumerate(chunks, start=1):
        out.append(routing.route_chunk(job, chunk))
        if progress is not None:  # where a stopped run ends (the pipeline's progress raises)
            progress(f"road travel times: {i} of {len(chunks)} blocks of sites", i / len(chunks))
    return out


def network_matrix(
    network: RoadNetwork,
    demand_lonlat: Any,
    site_lonlat: Any,
    *,
    mode: Mode = "drive",
    cutoff_minutes: float | None = 30.0,
    max_snap_m: float = 500.0,
    unsnapped: Unsnapped = "straight_line",
    detour_factor: float = 1.3,
    component: Component = "largest",
    access_speed_kmh: float | None = None,
    fallback_speed_kmh: float | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    n_jobs: int = 2,
    chunk_size: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> TravelMatrix:
    """Fastest road travel from each demand point to each site, sparse within a cut-off.

    Each point is snapped to the nearest road node open to ``mode`` (within
    ``max_snap_m``, straight line in the network's UTM metres) and the access
    leg is added at ``access_speed_kmh``. Times are Dijkstra shortest paths run
    from the sites on the reversed graph, so one-way streets are honoured in
    the demand -> site direction; ``distance_m`` is the length of that fastest
    path (plus both access legs), not the shortest length.

    Parameters
    ----------
    network
        From :func:`read_road_network`.
    demand_lonlat, site_lonlat
        ``(n, 2)`` and ``(m, 2)`` lon/lat degrees in EPSG:4326, or point
        GeoDataFrames/GeoSeries with a CRS (converted).
    mode
        ``"drive"``, ``"walk"`` or ``"ebike"``.
    cutoff_minutes
        Pairs slower than this are absent from the sparse matrices (the
        optimiser reads absent as "cannot serve"); ``None`` keeps every
        reachable pair.
    max_snap_m
        A point farther than this from the network is not routable.
    unsnapped
        What to do with not-routable points: ``"straight_line"`` gives their
        pairs straight-line metres x ``detour_factor`` at ``fallback_speed_kmh``;
        ``"drop"`` leaves their rows/columns empty. Either way they are listed in
        ``unroutable_demand`` / ``unroutable_sites``, named in ``note`` and a
        :class:`RoutingWarning` is issued.
    detour_factor
        Straight-line fallback detour factor, at least 1.
    component
        ``"largest"`` (default) snaps only to the largest strongly connected part
        of the network, so every snapped pair has a route; ``"all"`` snaps to any
        open road and warns about points that land on small, cut-off parts.
    access_speed_kmh, fallback_speed_kmh
        Defaults per mode: :data:`ACCESS_SPEED_KMH`, :data:`FALLBACK_SPEED_KMH`.
    cache_dir
        If given, the matrix is stored there as ``.npz`` keyed by a SHA-256 of the
        network, points and every setting above, and reused on the next call.
    n_jobs
        Threads of the compiled (numba) kernel within one chunk; numba is a main
        dependency, and without it the scipy kernel runs in this thread.
    chunk_size
        Sites per Dijkstra chunk; default keeps a chunk's arrays near 100 MB. With an
        ``executor``: sites per task (default :data:`road_blocks.BLOCK_SITES`).
    executor
        A ``concurrent.futures.Executor`` (e.g. ``dask.distributed.Client.get_executor()``)
        to run the work on: one task per block of nearby sites, each carrying only the
        road nodes within reach of its sites in ``cutoff_minutes`` and the demand points
        on them (:mod:`planner.travel.road_blocks`), so a task's memory does not grow
        with the network. The matrix is the same as without an executor.
    progress
        Called as ``progress(message, share_done)`` after each chunk of sites (not with an
        ``executor``); an exception it raises (a stopped run's) ends the computation, and
        nothing is cached.

    Returns
    -------
    TravelMatrix
        ``method="network"``; ``minutes`` and ``distance_m`` are ``scipy.sparse.csr_array``
        with the same structure, every stored entry > 0.

    Raises
    ------
    InputError
        Unknown mode or a mode the network does not serve; points not in lon/lat;
        no demand point or no site within ``max_snap_m`` of the network; an
        ``executor`` without ``cutoff_minutes`` on a network of more than
        :data:`road_blocks.WHOLE_GRAPH_MAX_NODES` nodes.
    """
    network = check_network(network)
    check_mode_served(network, mode)
    if executor is not None:
        road_blocks.check_bounded(network, cutoff_minutes)
    demand = as_lonlat(demand_lonlat, "demand_lonlat")
    sites = as_lonlat(site_lonlat, "site_lonlat")
    if unsnapped not in ("straight_line", "drop"):
        raise InputError(f"`unsnapped` must be 'straight_line' or 'drop'; got {unsnapped!r}.")
    if (
        not isinstance(detour_factor, int | float)
        or not math.isfinite(detour_factor)
        or detour_factor < 1
    ):
        raise InputError(
            f"`detour_factor` must be at least 1 (roads are never shorter than the straight "
            f"line); got {detour_factor!r}."
        )
    fallback = (
        FALLBACK_SPEED_KMH[mode]
        if fallback_speed_kmh is None
        else check_positive(fallback_speed_kmh, "fallback_speed_kmh", "km/h")
    )
    if not isinstance(n_jobs, int) or n_jobs < 1:
        raise InputError(f"`n_jobs` must be a positive number of processes; got {n_jobs!r}.")
    settings = {
        "mode": mode,
        "cutoff_minutes": cutoff_minutes,
        "max_snap_m": max_snap_m,
        "unsnapped": unsnapped,
        "detour_factor": detour_factor,
        "component": component,
        "access_speed_kmh": access_speed_kmh,
        "fallback_speed_kmh": fallback,
    }
    cache_path = None
    if cache_dir is not None:
        cache_path = Path(cache_dir) / f"travel-{_cache_key(network, demand, sites, settings)}.npz"
        if cache_path.exists():
            hit = _load_cache(cache_path)
            if hit is not None:
                _warn_unroutable(hit, demand.shape[0], sites.shape[0], max_snap_m, mode, unsnapped)
                return hit

    job = prepare_routing(
        network,
        demand,
        sites,
        mode=mode,
        cutoff_minutes=cutoff_minutes,
        max_snap_m=max_snap_m,
        component=component,
        access_speed_kmh=access_speed_kmh,
        chunk_size=chunk_size,
        n_threads=n_jobs,
    )
    results = _run_chunks(
        network, mode, job, executor=executor, block_sites=chunk_size, progress=progress
    )
    # One array per field, and the chunks freed, before the matrix is assembled: at
    # 10 million pairs every copy counts (about 24 bytes a pair each).
    network_pairs = [_concat_results(results)] if len(results) > 1 else results
    del results
    un_d = np.flatnonzero(job.demand_node < 0)
    un_s = np.flatnonzero(job.site_node < 0)
    extra: list[ChunkResult] = []
    used_fallback = unsnapped == "straight_line" and (un_d.size or un_s.size)
    if used_fallback:
        extra.append(
            _fallback_pairs(
                network,
                demand,
                sites,
                un_d,
                un_s,
                detour_factor=float(detour_factor),
                speed_kmh=fallback,
                cutoff=job.cutoff_minutes,
            )
        )
    minutes, dist = assemble_matrix(job, network_pairs, extra=extra)
    del network_pairs
    note = _matrix_note(
        network,
        job,
        mode,
        cutoff_minutes,
        max_snap_m,
        unsnapped,
        detour_factor,
        fallback,
        component,
    )
    tm = TravelMatrix(
        distance_m=dist,
        minutes=minutes,
        method="network",
        detour_factor=float(detour_factor) if used_fallback else None,
        speed_kmh=fallback if used_fallback else None,
        mode=mode,
        cutoff_minutes=None if cutoff_minutes is None else float(cutoff_minutes),
        unroutable_demand=un_d.astype(np.int64),
        unroutable_sites=un_s.astype(np.int64),
        note=note,
    )
    if component == "all":
        _warn_small_components(network, job, mode)
    _warn_unroutable(tm, demand.shape[0], sites.shape[0], max_snap_m, mode, unsnapped)
    if cache_path is not None:
        _save_cache(cache_path, tm)
    return tm


def _matrix_note(
    network: RoadNetwork,
    job: RoutingJob,
    mode: str,
    cutoff_minutes: float | None,
    max_snap_m: float,
    unsnapped: str,
    detour_factor: float,
    fallback: float,
    component: str,
) -> str:
    cut = "no cut-off" if cutoff_minutes is None else f"cut-off {cutoff_minutes:g} min"
    parts = [f"Road network ({mode}, {network.note}): fastest times, {cut}"]
    if component == "largest":
        g = network.mode_graph(mode)
        if g.component_sizes.size > 1:
            parts.append(
                f"snapped to the largest connected part ({int(g.component_sizes[0])} of "
                f"{int(g.component_sizes.sum())} nodes)"
            )
    n_ud = int((job.demand_node < 0).sum())
    n_us = int((job.site_node < 0).sum())
    if n_ud or n_us:
        rule = (
            f"straight line x {detour_factor:g} at {fallback:g} km/h"
            if unsnapped == "straight_line"
            else "dropped (no travel times)"
        )
        parts.append(
            f"{n_ud} of {job.demand_node.size} demand points and {n_us} of {job.site_node.size} "
            f"sites farther than {max_snap_m:g} m from the network: {rule}"
        )
    return "; ".join(parts)


def _warn_unroutable(
    tm: TravelMatrix, n_demand: int, n_sites: int, max_snap_m: float, mode: str, unsnapped: str
) -> None:
    if tm.unroutable_demand.size == 0 and tm.unroutable_sites.size == 0:
        return
    rule = (
        "they use straight-line distance x detour factor instead"
        if unsnapped == "straight_line"
        else "they get no travel times (dropped); remove them from the problem or raise max_snap_m"
    )
    what = []
    if tm.unroutable_demand.size:
        what.append(
            f"{tm.unroutable_demand.size} of {n_demand} demand points "
            f"(indices {index_list(tm.unroutable_demand)})"
        )
    if tm.unroutable_sites.size:
        what.append(
            f"{tm.unroutable_sites.size} of {n_sites} sites (indices {index_list(tm.unroutable_sites)})"
        )
    warnings.warn(
        f"{' and '.join(what)} lie more than max_snap_m={max_snap_m:g} m from a road open to "
        f"{mode!r}: {rule}.",
        RoutingWarning,
        stacklevel=3,
    )


def _warn_small_components(network: RoadNetwork, job: RoutingJob, mode: str) -> None:
    comp = network.mode_graph(mode).component
    d = np.flatnonzero((job.demand_node >= 0) & (comp[np.maximum(job.demand_node, 0)] > 0))
    s = np.flatnonzero((job.site_node >= 0) & (comp[np.maximum(job.site_node, 0)] > 0))
    if d.size or s.size:
        warnings.warn(
            f"{d.size} demand points (indices {index_list(d)}) and {s.size} sites (indices "
            f"{index_list(s)}) are snapped to small parts of the {mode!r} network that are cut "
            "off from the rest; their trips may be missing. Use component='largest' or "
            "components_report() to inspect.",
            RoutingWarning,
            stacklevel=3,
        )
