"""Costs computed from coordinates when asked: the straight-line travel of problems too
big to hold as an n x m matrix. :class:`planner.optimize.Problem` accepts them as its
``cost``; :func:`planner.travel.straight_line.straight_line_matrix` makes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.errors import ProblemError

__all__ = ["POINT_COSTS_DENSE_MAX_PAIRS", "PointCosts"]


#: Above this many pairs :meth:`PointCosts.__array__` refuses to build the dense matrix.
POINT_COSTS_DENSE_MAX_PAIRS = 50_000_000


@dataclass(frozen=True, eq=False)
class PointCosts:
    """Costs proportional to straight-line distance, computed when asked, never stored.

    ``cost[i, j] = scale * |demand_xy[i] - site_xy[j]|`` (Euclidean, in the unit of the
    coordinates times ``scale``). At a size where a dense matrix would not fit (500,000
    demand points x 2,000 sites is 8 GB per matrix) the optimiser works from each
    point's nearest sites with a certified bound (see ``_scale_data.from_points``) and
    the KPIs from the open sites' columns alone.

    Parameters
    ----------
    demand_xy, site_xy
        ``(n, 2)`` and ``(m, 2)`` projected coordinates (metres).
    scale
        Cost per unit of distance (e.g. a detour factor, or minutes per metre), > 0.
    """

    demand_xy: np.ndarray
    site_xy: np.ndarray
    scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("demand_xy", "site_xy"):
            xy = np.ascontiguousarray(getattr(self, name), dtype=np.float64)
            if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
                raise ProblemError(f"`{name}` must be an (n, 2) array of finite coordinates.")
            xy.setflags(write=False)
            object.__setattr__(self, name, xy)
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise ProblemError(f"`scale` must be a positive number; got {self.scale}.")

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.demand_xy.shape[0]), int(self.site_xy.shape[0]))

    @property
    def ndim(self) -> int:
        return 2

    def with_scale(self, scale: float) -> PointCosts:
        """The same points with another cost per unit of distance."""
        return PointCosts(self.demand_xy, self.site_xy, scale)

    def columns(self, sites: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Dense ``(n, len(sites))`` block of the given site columns (float64)."""
        d = self.demand_xy if rows is None else self.demand_xy[np.asarray(rows)]
        s = self.site_xy[np.asarray(sites, dtype=np.int64)]
        out = np.empty((d.shape[0], s.shape[0]))
        step = max(1, 4_000_000 // max(s.shape[0], 1))
        for a in range(0, d.shape[0], step):
            blk = d[a : a + step]
            np.hypot(
                blk[:, 0:1] - s[None, :, 0], blk[:, 1:2] - s[None, :, 1], out=out[a : a + step]
            )
        out *= self.scale
        return out

    def pairs(self, rows: np.ndarray, sites: np.ndarray) -> np.ndarray:
        """Cost of each ``(rows[k], sites[k])`` pair."""
        d = self.demand_xy[np.asarray(rows, dtype=np.int64)]
        s = self.site_xy[np.asarray(sites, dtype=np.int64)]
        return np.hypot(d[:, 0] - s[:, 0], d[:, 1] - s[:, 1]) * self.scale

    def nearest(self, sites: np.ndarray, *, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Each demand point's ``k`` cheapest of ``sites``: (costs, site indices), each
        ``(n, k)``, sorted by cost (a KD-tree; ties to the lower index are not promised)."""
        from scipy.spatial import cKDTree

        sites = np.asarray(sites, dtype=np.int64)
        k = max(1, min(int(k), sites.size))
        dist, pos = cKDTree(self.site_xy[sites]).query(self.demand_xy, k=k, workers=2)
        dist = np.asarray(dist, dtype=np.float64).reshape(-1, k) * self.scale
        return dist, sites[np.asarray(pos).reshape(-1, k)]

    def toarray(self) -> np.ndarray:
        """The full dense matrix (refused above ``POINT_COSTS_DENSE_MAX_PAIRS`` pairs)."""
        n, m = self.shape
        if n * m > POINT_COSTS_DENSE_MAX_PAIRS:
            raise ProblemError(
                f"a dense {n:,} x {m:,} cost matrix would need {n * m * 8 / 1e9:.1f} GB; this "
                "step needs the dense matrix, so use fewer demand points (a larger "
                "demand.cell_size_m) or fewer candidate sites."
            )
        return self.columns(np.arange(m))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.toarray()
        return out if dtype is None else out.astype(dtype)
