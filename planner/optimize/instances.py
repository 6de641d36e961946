"""Readers for public facility-location benchmark formats.

OR-Library uncapacitated p-median (``pmed1``-``pmed40``), capacitated p-median
(``pmedcap01``-``pmedcap20``, Osman and Christofides 1994), capacitated facility
location (``cap41``-``cap134``, ``capa``/``capb``/``capc``), Lorena and Senne's
capacitated p-median on Sao Jose dos Campos (``SJC*.dat``) and TSPLIB point sets
(``EUC_2D``). Each reader returns a small frozen dataclass with the raw numbers
and a :meth:`to_problem` method building the matching :class:`~planner.optimize.Problem`.

The conventions that decide whether the published optima are reproduced:

* **pmed**: the graph's edge list repeats some edges; the *last* copy counts
  (Beasley's format page), then all-pairs shortest paths give the cost matrix.
* **pmedcap**: cost is ``floor`` of the Euclidean distance between the points, the
  objective is the plain (unweighted) sum of assigned costs, single-source.
* **cap**: the file's allocation cost is the cost of serving *all* of a customer's
  demand from a warehouse; the per-unit cost is that divided by the demand.
* **TSPLIB**: the 2023 Duran-Mateluna, Ales and Elloumi table uses ``floor`` of the
  Euclidean distance.

These readers are also used by ``benchmarks/`` (which re-exports them); tests read
copies of the small instances in ``tests/data/orlib/``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from planner.errors import DataError
from planner.optimize.problem import Problem

__all__ = [
    "CapInstance",
    "PMedCapInstance",
    "PMedInstance",
    "PointInstance",
    "euclidean_cost",
    "read_cap",
    "read_optima",
    "read_pmed",
    "read_pmedcap",
    "read_sjc",
    "read_tsplib",
]


def _tokens(path: Path) -> list[str]:
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise DataError(f"cannot read benchmark file {path}: {exc.strerror}.") from None
    return text.split()


def _numbers(tokens: list[str], path: Path) -> np.ndarray:
    try:
        return np.asarray([float(t) for t in tokens], dtype=np.float64)
    except ValueError as exc:
        raise DataError(f"benchmark file {path} holds a non-numeric token ({exc}).") from None


# --------------------------------------------------------------------------- pmed


@dataclass(frozen=True, eq=False)
class PMedInstance:
    """An OR-Library uncapacitated p-median instance (``pmedN.txt``).

    Attributes
    ----------
    name
        File stem, e.g. ``"pmed1"``.
    cost
        ``(n, n)`` all-pairs shortest-path distances (every vertex is a demand point
        and a candidate site).
    p
        Number of medians to open.
    """

    name: str
    cost: np.ndarray
    p: int

    @property
    def n(self) -> int:
        """Number of vertices."""
        return int(self.cost.shape[0])

    def to_problem(self) -> Problem:
        """The instance as a :class:`Problem` with unit weights."""
        return Problem(self.cost, np.ones(self.n))


def read_pmed(path: str | Path) -> PMedInstance:
    """Read an OR-Library ``pmedN.txt`` file and compute its shortest-path cost matrix.

    Duplicate edges follow Beasley's rule: the last copy in the file wins (taking the
    minimum, or letting a sparse matrix add them up, gives wrong optima).
    """
    path = Path(path)
    vals = _numbers(_tokens(path), path)
    if vals.size < 3:
        raise DataError(f"pmed file {path} is too short: expected 'n_vertices n_edges p' first.")
    n, n_edges, p = (int(v) for v in vals[:3])
    body = vals[3 : 3 + 3 * n_edges]
    if body.size != 3 * n_edges:
        raise DataError(
            f"pmed file {path} lists fewer than the {n_edges} edges its header promises."
        )
    edges = body.reshape(n_edges, 3)
    a = edges[:, 0].astype(np.int64) - 1
    b = edges[:, 1].astype(np.int64) - 1
    w = edges[:, 2]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo * n + hi
    # Last copy wins: unique over the reversed list returns the first (= last) occurrence.
    _, first_in_rev = np.unique(key[::-1], return_index=True)
    keep = n_edges - 1 - first_in_rev
    lo, hi, w = lo[keep], hi[keep], w[keep]
    loops = lo == hi
    lo, hi, w = lo[~loops], hi[~loops], w[~loops]
    graph = sp.csr_array((w, (lo, hi)), shape=(n, n))
    dist = shortest_path(graph, method="D", directed=False)
    if not np.isfinite(dist).all():
        raise DataError(f"pmed file {path}: the graph is not connected.")
    return PMedInstance(name=path.stem, cost=dist, p=p)


# --------------------------------------------------------------------------- points


def euclidean_cost(
    xy_demand: np.ndarray, xy_sites: np.ndarray | None = None, *, rounding: str = "none"
) -> np.ndarray:
    """Dense Euclidean distances between two point sets.

    Parameters
    ----------
    xy_demand, xy_sites
        ``(n, 2)`` and ``(m, 2)`` coordinates; ``xy_sites`` defaults to ``xy_demand``.
    rounding
        ``"none"`` (real-valued), ``"floor"`` or ``"nint"`` (TSPLIB's nearest integer).
    """
    xy_demand = np.asarray(xy_demand, dtype=np.float64)
    xy_sites = xy_demand if xy_sites is None else np.asarray(xy_sites, dtype=np.float64)
    d = np.sqrt(
        np.maximum(
            (xy_demand[:, None, 0] - xy_sites[None, :, 0]) ** 2
            + (xy_demand[:, None, 1] - xy_sites[None, :, 1]) ** 2,
            0.0,
        )
    )
    if rounding == "floor":
        return np.floor(d)
    if rounding == "nint":
        return np.floor(d + 0.5)
    if rounding != "none":
        raise DataError(f"`rounding` must be 'none', 'floor' or 'nint'; got {rounding!r}.")
    return d


@dataclass(frozen=True, eq=False)
class PMedCapInstance:
    """A capacitated p-median instance: each point is a customer and a candidate.

    Used for OR-Library ``pmedcapNN.txt`` (floor distances, integer optimum in the
    file) and Lorena-Senne ``SJC*.dat`` (real-valued distances, optimum not in the file).

    Attributes
    ----------
    name
        File stem.
    xy
        ``(n, 2)`` coordinates.
    demand
        ``(n,)`` demand of each point.
    capacity
        ``(n,)`` capacity of each point as a site.
    p
        Number of medians.
    optimum
        Published optimum from the file, or ``None``.
    rounding
        Distance rounding that reproduces the published optimum (``"floor"`` or ``"none"``).
    """

    name: str
    xy: np.ndarray
    demand: np.ndarray
    capacity: np.ndarray
    p: int
    optimum: float | None
    rounding: str

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.xy.shape[0])

    def cost(self) -> np.ndarray:
        """``(n, n)`` distance matrix with the instance's rounding."""
        return euclidean_cost(self.xy, rounding=self.rounding)

    def to_problem(self) -> Problem:
        """Problem for the published objective: plain sum of distances, demand as load.

        The objective of these benchmarks is unweighted, so ``weight`` is 1 and the
        demand enters as ``load`` (the capacity each point uses).
        """
        return Problem(self.cost(), np.ones(self.n), capacity=self.capacity, load=self.demand)


def read_pmedcap(path: str | Path) -> PMedCapInstance:
    """Read an OR-Library ``pmedcapNN.txt`` file (Osman and Christofides 1994).

    Layout: ``problem_number optimum`` / ``n p capacity`` / ``n`` lines ``i x y demand``.
    Tokens after the last point (some copies carry the next problem's header) are ignored.
    """
    path = Path(path)
    vals = _numbers(_tokens(path), path)
    if vals.size < 5:
        raise DataError(f"pmedcap file {path} is too short.")
    optimum = float(vals[1])
    n, p, cap = int(vals[2]), int(vals[3]), float(vals[4])
    body = vals[5 : 5 + 4 * n]
    if body.size != 4 * n:
        raise DataError(f"pmedcap file {path} lists fewer than the {n} points its header promises.")
    rows = body.reshape(n, 4)
    return PMedCapInstance(
        name=path.stem,
        xy=rows[:, 1:3].copy(),
        demand=rows[:, 3].copy(),
        capacity=np.full(n, cap),
        p=p,
        optimum=optimum,
        rounding="floor",
    )


def read_sjc(path: str | Path) -> PMedCapInstance:
    """Read a Lorena-Senne ``SJC*.dat`` file: ``n p`` then ``n`` lines ``x y capacity demand``."""
    path = Path(path)
    vals = _numbers(_tokens(path), path)
    n, p = int(vals[0]), int(vals[1])
    body = vals[2 : 2 + 4 * n]
    if body.size != 4 * n:
        raise DataError(f"SJC file {path} lists fewer than the {n} points its header promises.")
    rows = body.reshape(n, 4)
    return PMedCapInstance(
        name=path.stem,
        xy=rows[:, 0:2].copy(),
        demand=rows[:, 3].copy(),
        capacity=rows[:, 2].copy(),
        p=p,
        optimum=None,
        rounding="none",
    )


# --------------------------------------------------------------------------- cap


@dataclass(frozen=True, eq=False)
class CapInstance:
    """An OR-Library capacitated facility-location instance (``capNNN.txt``, ``capa``...).

    Attributes
    ----------
    name
        File stem.
    capacity, opening_cost
        ``(m,)`` warehouse capacities and fixed opening costs.
    demand
        ``(n,)`` customer demands.
    allocation_cost
        ``(n, m)`` cost of serving *all* of customer ``i``'s demand from warehouse ``j``.
    """

    name: str
    capacity: np.ndarray
    opening_cost: np.ndarray
    demand: np.ndarray
    allocation_cost: np.ndarray

    @property
    def n_customers(self) -> int:
        """Number of customers."""
        return int(self.demand.size)

    @property
    def n_sites(self) -> int:
        """Number of candidate warehouses."""
        return int(self.capacity.size)

    def unit_cost(self) -> np.ndarray:
        """Per-unit allocation cost ``allocation_cost / demand`` (0 where demand is 0)."""
        d = self.demand[:, None]
        return np.divide(
            self.allocation_cost, d, out=np.zeros_like(self.allocation_cost), where=d > 0
        )

    def to_problem(self) -> Problem:
        """Problem with ``weight = demand`` so that ``weight * cost`` is the file's cost."""
        return Problem(
            self.unit_cost(),
            self.demand,
            capacity=self.capacity,
            opening_cost=self.opening_cost,
        )


def read_cap(path: str | Path, *, capacity: float | None = None) -> CapInstance:
    """Read an OR-Library capacitated warehouse-location file.

    Layout: ``m n`` / ``m`` lines ``capacity fixed_cost`` / for each of ``n`` customers:
    ``demand`` then ``m`` allocation costs. In ``capa``/``capb``/``capc`` the capacity is
    the literal word ``capacity``: pass the value with ``capacity=`` (see ``capopt.csv``).
    """
    path = Path(path)
    tokens = _tokens(path)
    if len(tokens) < 2:
        raise DataError(f"cap file {path} is too short.")
    m, n = int(tokens[0]), int(tokens[1])
    head = tokens[2 : 2 + 2 * m]
    if any(t.lower() == "capacity" for t in head[0::2]):
        if capacity is None:
            raise DataError(
                f"cap file {path} gives capacities as the word 'capacity': pass `capacity=` "
                "(values listed in capopt.csv)."
            )
        head = [str(capacity) if t.lower() == "capacity" else t for t in head]
    elif capacity is not None:
        head = [str(capacity) if k % 2 == 0 else t for k, t in enumerate(head)]
    sites = _numbers(head, path).reshape(m, 2)
    body = _numbers(tokens[2 + 2 * m : 2 + 2 * m + n * (m + 1)], path)
    if body.size != n * (m + 1):
        raise DataError(f"cap file {path} lists fewer than the {n} customers its header promises.")
    cust = body.reshape(n, m + 1)
    return CapInstance(
        name=path.stem,
        capacity=sites[:, 0].copy(),
        opening_cost=sites[:, 1].copy(),
        demand=cust[:, 0].copy(),
        allocation_cost=cust[:, 1:].copy(),
    )


# --------------------------------------------------------------------------- TSPLIB


@dataclass(frozen=True, eq=False)
class PointInstance:
    """A TSPLIB point set (``EUC_2D``): for p-median every point is a customer and a site."""

    name: str
    xy: np.ndarray

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.xy.shape[0])

    def cost(self, *, rounding: str = "floor") -> np.ndarray:
        """Dense ``(n, n)`` distances; ``floor`` matches the 2023 best-known-value table."""
        return euclidean_cost(self.xy, rounding=rounding)


def read_tsplib(path: str | Path) -> PointInstance:
    """Read the ``NODE_COORD_SECTION`` of a TSPLIB ``.tsp`` file."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read TSPLIB file {path}: {exc.strerror}.") from None
    name, dim, start = path.stem, None, None
    for k, line in enumerate(lines):
        key, _, value = line.partition(":")
        key = key.strip().upper()
        if key == "NAME":
            name = value.strip() or name
        elif key == "DIMENSION":
            dim = int(value)
        elif key.startswith("NODE_COORD_SECTION"):
            start = k + 1
            break
    if start is None or dim is None:
        raise DataError(f"TSPLIB file {path} has no DIMENSION or NODE_COORD_SECTION.")
    tokens = " ".join(lines[start : start + dim]).split()
    rows = _numbers(tokens, path)
    if rows.size != 3 * dim:
        raise DataError(f"TSPLIB file {path}: expected {dim} coordinate lines.")
    return PointInstance(name=name, xy=rows.reshape(dim, 3)[:, 1:].copy())


# --------------------------------------------------------------------------- optima


def read_optima(path: str | Path, *, key: str = "instance", value: str | None = None) -> dict:
    """Read a known-optima CSV (``optimal.csv``, ``pcenter_optimal.csv``, ``capopt.csv``...).

    Returns ``{instance: optimum}``; for ``capopt.csv`` (several rows per instance) the
    key is ``(instance, capacity)`` with capacity ``"in-file"`` or a number string.
    ``value`` names the optimum column; default: the first column with 'opt' in its name.
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return {}
    cols = list(rows[0].keys())
    col = value or next(c for c in cols if c != key and "opt" in c.lower())
    out: dict = {}
    for r in rows:
        k = (r[key], r["capacity"]) if "capacity" in r else r[key]
        out[k] = float(r[col])
    return out
