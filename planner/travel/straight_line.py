"""Travel costs between demand points and sites.

Two ways to measure a trip:

* ``straight_line``: the great-circle distance in metres (computed in a local
  metric projection) times a detour factor (roads are never straight; 1.2-1.4
  is the usual range), and minutes at a set speed.
* ``network``: shortest road-network times and lengths, see :mod:`planner.travel.road_matrix`.

Both give a :class:`TravelMatrix`: distance in metres and time in minutes for
every (demand point, site) pair, dense or sparse. In a sparse matrix an absent
entry means "this site cannot serve this demand point" (beyond the cut-off or
unreachable), which the optimiser honours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp

from planner.errors import InputError
from planner.travel.point_costs import PointCosts

#: Up to this many (demand x site) pairs straight-line travel is stored as dense
#: matrices (two float64 matrices: 320 MB at the limit); above it the costs are
#: computed from the coordinates when asked (:class:`PointCosts`), so nothing of size
#: n x m is ever held: the optimiser keeps each point's nearest sites with a bound
#: that stays valid for the full problem, the KPIs take the open sites' columns.
DENSE_MAX_PAIRS = 20_000_000

TravelMethod = Literal["straight_line", "network"]

#: Default detour factor for straight-line distances (urban road networks: 1.2-1.4).
DEFAULT_DETOUR_FACTOR = 1.3
#: Default door-to-door speed for straight-line times, km/h (mixed urban traffic).
DEFAULT_SPEED_KMH = 25.0


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Travel distance and time from each demand point (rows) to each site (columns).

    Attributes
    ----------
    distance_m
        Travel distance in metres, shape ``(n_demand, n_sites)``; a numpy array,
        or a ``scipy.sparse.csr_array`` whose absent entries mean "not reachable".
    minutes
        Travel time in minutes, same shape and sparsity as ``distance_m``.
    method
        ``"straight_line"`` or ``"network"``.
    detour_factor, speed_kmh
        The straight-line settings (``None`` for network costs).
    mode
        Network travel mode (``"drive"``, ``"walk"``, ``"ebike"``), ``None`` for straight line.
    cutoff_minutes
        Pairs beyond this time are absent (sparse); ``None`` for no cut-off.
    unroutable_demand, unroutable_sites
        Indices of points that could not be snapped to the network and were
        handled by the fallback rule in ``note`` (empty for straight line).
    note
        A one-line description for map legends and reports.
    """

    distance_m: np.ndarray | sp.csr_array | PointCosts
    minutes: np.ndarray | sp.csr_array | PointCosts
    method: TravelMethod
    detour_factor: float | None = None
    speed_kmh: float | None = None
    mode: str | None = None
    cutoff_minutes: float | None = None
    unroutable_demand: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    unroutable_sites: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    note: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_demand, n_sites)``."""
        return (int(self.minutes.shape[0]), int(self.minutes.shape[1]))

    @property
    def is_points(self) -> bool:
        """True when the costs are computed from coordinates (:class:`PointCosts`)."""
        return isinstance(self.minutes, PointCosts)

    @property
    def is_sparse(self) -> bool:
        """True when unreachable pairs are absent entries of a sparse matrix."""
        return sp.issparse(self.minutes)


def _as_xy(points: np.ndarray, name: str) -> np.ndarray:
    xy = np.asarray(points, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise InputError(
            f"`{name}` must be an (n, 2) array of projected x, y in metres; got shape {xy.shape}."
        )
    if not np.isfinite(xy).all():
        raise InputError(
            f"`{name}` holds NaN or infinite coordinates; drop or fix those points first."
        )
    return xy


def straight_line_matrix(
    demand_xy_m: np.ndarray,
    site_xy_m: np.ndarray,
    *,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    chunk_rows: int = 20_000,
    dense_max_pairs: int | None = None,
) -> TravelMatrix:
    """Straight-line travel: Euclidean metres in a metric CRS times a detour factor.

    Parameters
    ----------
    demand_xy_m, site_xy_m
        Projected coordinates in metres, shape ``(n, 2)`` and ``(m, 2)``, in the
        same metric CRS (see :func:`planner.inputs.layers.metric_crs_for`).
    detour_factor
        Ratio of road distance to straight-line distance, at least 1.
    speed_kmh
        Door-to-door travel speed used to turn distance into minutes, > 0.

    dense_max_pairs
        Above this many pairs (default :data:`DENSE_MAX_PAIRS`) the matrices are
        :class:`PointCosts` (computed from the coordinates when asked) instead of dense
        arrays.

    Returns
    -------
    TravelMatrix
        Dense ``float64`` matrices of metres and minutes, or :class:`PointCosts`.
    """
    if not np.isfinite(detour_factor) or detour_factor < 1.0:
        raise InputError(
            f"`detour_factor` must be at least 1 (road distance is never shorter than the "
            f"straight line); got {detour_factor}. Use 1.2-1.4 for urban roads."
        )
    if not np.isfinite(speed_kmh) or speed_kmh <= 0:
        raise InputError(f"`speed_kmh` must be a positive speed in km/h; got {speed_kmh}.")
    d = _as_xy(demand_xy_m, "demand_xy_m")
    s = _as_xy(site_xy_m, "site_xy_m")
    note = (
        f"Straight-line distance x {detour_factor:g} detour factor at {speed_kmh:g} km/h "
        "(no road network used)"
    )
    limit = DENSE_MAX_PAIRS if dense_max_pairs is None else int(dense_max_pairs)
    if d.shape[0] * s.shape[0] > limit:
        metres = PointCosts(d, s, float(detour_factor))
        return TravelMatrix(
            distance_m=metres,
            minutes=metres.with_scale(float(detour_factor) / (speed_kmh * 1000.0 / 60.0)),
            method="straight_line",
            detour_factor=float(detour_factor),
            speed_kmh=float(speed_kmh),
            note=note,
        )
    distance = np.empty((d.shape[0], s.shape[0]), dtype=np.float64)
    # Chunked so that a province (200,000 x 5,000) never holds three full temporaries at once.
    for start in range(0, d.shape[0], chunk_rows):
        block = d[start : start + chunk_rows]
        dx = block[:, 0:1] - s[None, :, 0]
        dy = block[:, 1:2] - s[None, :, 1]
        np.hypot(dx, dy, out=distance[start : start + chunk_rows])
    distance *= detour_factor
    minutes = distance / (speed_kmh * 1000.0 / 60.0)
    return TravelMatrix(
        distance_m=distance,
        minutes=minutes,
        method="straight_line",
        detour_factor=float(detour_factor),
        speed_kmh=float(speed_kmh),
        note=note,
    )
