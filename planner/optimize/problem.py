"""The optimisation problem: plain arrays, no geometry.

A :class:`Problem` holds the cost of serving each demand point from each site
and the demand weights, plus the site attributes that some models use
(capacities, opening costs, sites that must or must not open, existing sites
that may close). It is validated once, here, at the public boundary; solvers
trust it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp

from planner.errors import ProblemError
from planner.travel.point_costs import PointCosts

CostMatrix: TypeAlias = np.ndarray | sp.csr_array | PointCosts


def _site_mask(value: Any, n_sites: int, name: str) -> np.ndarray:
    """Accept a boolean mask of length n_sites or a list of site indices; return a bool mask."""
    if value is None:
        return np.zeros(n_sites, dtype=bool)
    arr = np.asarray(value)
    if arr.dtype == bool:
        if arr.shape != (n_sites,):
            raise ProblemError(
                f"`{name}` as a boolean mask must have one entry per site ({n_sites}); got shape {arr.shape}."
            )
        return arr.copy()
    if arr.size == 0:
        return np.zeros(n_sites, dtype=bool)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ProblemError(
            f"`{name}` must be site indices (integers) or a boolean mask; got dtype {arr.dtype}."
        )
    idx = arr.ravel()
    if idx.min() < 0 or idx.max() >= n_sites:
        raise ProblemError(
            f"`{name}` holds site index {int(idx.min() if idx.min() < 0 else idx.max())}, "
            f"outside 0..{n_sites - 1}."
        )
    mask = np.zeros(n_sites, dtype=bool)
    mask[idx] = True
    return mask


def _site_vector(
    value: Any, n_sites: int, name: str, *, allow_none: bool = True
) -> np.ndarray | None:
    if value is None:
        return None
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n_sites, float(arr))
    if arr.shape != (n_sites,):
        raise ProblemError(
            f"`{name}` must have one value per site ({n_sites}); got shape {arr.shape}."
        )
    if not np.isfinite(arr).all():
        raise ProblemError(
            f"`{name}` holds NaN or infinite values; give a finite value for every site."
        )
    return arr


@dataclass(frozen=True, eq=False)
class Problem:
    """A facility-location problem over ``n_demand`` demand points and ``n_sites`` sites.

    Parameters
    ----------
    cost
        Cost of serving demand point ``i`` from site ``j``, shape ``(n_demand, n_sites)``,
        in any unit (metres, minutes); non-negative and finite. A ``scipy.sparse``
        matrix means: absent entries are pairs where site ``j`` cannot serve point ``i``
        (explicitly stored zeros are real zero costs).
    weight
        Demand weight of each point (people, population-equivalent demand), shape
        ``(n_demand,)``, non-negative.
    capacity
        Optional capacity of each site in weight units (e.g. customers a day).
    opening_cost
        Optional cost of opening each site, in the unit of ``weight * cost``.
    required
        Sites that must be open (indices or boolean mask), e.g. existing centres kept.
    excluded
        Sites that must stay closed (indices or boolean mask).
    existing
        Existing centres (indices or boolean mask); they may close unless also required.
    closing_saving
        For ``facility_location``: what closing each existing site saves (a negative
        value is a closing cost), in the unit of ``opening_cost``; ignored for sites
        that are not existing.
    load
        Optional capacity each demand point uses at its site, shape ``(n_demand,)``
        (e.g. visits a day); defaults to ``weight``. Lets the objective weight differ
        from the capacity use (OR-Library pmedcap: unit weights, demand as load).
    """

    cost: CostMatrix
    weight: np.ndarray
    capacity: np.ndarray | None = None
    opening_cost: np.ndarray | None = None
    required: np.ndarray = None  # type: ignore[assignment]  # normalised to a bool mask
    excluded: np.ndarray = None  # type: ignore[assignment]  # normalised to a bool mask
    existing: np.ndarray = None  # type: ignore[assignment]  # normalised to a bool mask
    closing_saving: np.ndarray | None = None
    load: np.ndarray | None = None

    def __post_init__(self) -> None:
        cost = self.cost
        if isinstance(cost, PointCosts):
            data = np.zeros(1)
        elif sp.issparse(cost):
            cost = sp.csr_array(cost, dtype=np.float64)
            cost.sum_duplicates()
            cost.sort_indices()
            data = cost.data
        else:
            try:
                cost = np.asarray(cost, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ProblemError(f"`cost` must be a numeric matrix; {exc}.") from None
            data = cost
        if cost.ndim != 2:
            raise ProblemError(
                f"`cost` must be a 2-D (n_demand, n_sites) matrix; got {cost.ndim} dimension(s)."
            )
        n, m = cost.shape
        if n == 0 or m == 0:
            raise ProblemError(
                f"`cost` is empty (shape {cost.shape}): give at least one demand point and one site."
            )
        if not np.isfinite(data).all():
            raise ProblemError(
                "`cost` holds NaN or infinite values; for pairs that cannot be served use a "
                "scipy.sparse matrix and leave them out."
            )
        if (data < 0).any():
            raise ProblemError("`cost` holds negative values; travel costs must be >= 0.")
        weight = np.asarray(self.weight, dtype=np.float64).ravel()
        if weight.shape != (n,):
            raise ProblemError(
                f"`weight` must have one value per demand point (cost has {n} rows); got {weight.shape[0]}."
            )
        if not np.isfinite(weight).all() or (weight < 0).any():
            raise ProblemError("`weight` must be finite and >= 0 for every demand point.")
        capacity = _site_vector(self.capacity, m, "capacity")
        if capacity is not None and (capacity < 0).any():
            raise ProblemError("`capacity` must be >= 0 for every site.")
        opening = _site_vector(self.opening_cost, m, "opening_cost")
        if opening is not None and (opening < 0).any():
            raise ProblemError("`opening_cost` must be >= 0 for every site.")
        saving = _site_vector(self.closing_saving, m, "closing_saving")
        load = None
        if self.load is not None:
            load = np.asarray(self.load, dtype=np.float64).ravel()
            if load.shape != (n,):
                raise ProblemError(
                    f"`load` must have one value per demand point (cost has {n} rows); got {load.shape[0]}."
                )
            if not np.isfinite(load).all() or (load < 0).any():
                raise ProblemError("`load` must be finite and >= 0 for every demand point.")
        required = _site_mask(self.required, m, "required")
        excluded = _site_mask(self.excluded, m, "excluded")
        existing = _site_mask(self.existing, m, "existing")
        both = np.flatnonzero(required & excluded)
        if both.size:
            raise ProblemError(
                f"site(s) {both[:5].tolist()} are both `required` and `excluded`; choose one."
            )
        for name, value in (
            ("cost", cost),
            ("weight", weight),
            ("capacity", capacity),
            ("opening_cost", opening),
            ("closing_saving", saving),
            ("required", required),
            ("excluded", excluded),
            ("existing", existing),
            ("load", load),
        ):
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def n_demand(self) -> int:
        """Number of demand points (rows of ``cost``)."""
        return int(self.cost.shape[0])

    @property
    def n_sites(self) -> int:
        """Number of sites (columns of ``cost``)."""
        return int(self.cost.shape[1])

    @property
    def demand_load(self) -> np.ndarray:
        """Capacity each demand point uses: ``load`` if given, else ``weight``."""
        return self.weight if self.load is None else self.load

    def stored_cost(self) -> np.ndarray | sp.csr_array:
        """``cost`` as a dense or sparse matrix (:class:`PointCosts` made dense, which is
        refused above ``POINT_COSTS_DENSE_MAX_PAIRS`` pairs with a clear error)."""
        if isinstance(self.cost, PointCosts):
            return self.cost.toarray()
        return self.cost

    @property
    def is_points(self) -> bool:
        """True when ``cost`` is :class:`PointCosts` (computed from coordinates)."""
        return isinstance(self.cost, PointCosts)

    @property
    def is_sparse(self) -> bool:
        """True when ``cost`` is sparse (absent pairs cannot be served)."""
        return sp.issparse(self.cost)
