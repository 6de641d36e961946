"""The trade-off over the number of centres: objective and coverage as ``p`` grows
(:func:`tradeoff_curve`) and where another centre stops paying (:func:`stops_paying_p`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from planner.errors import InputError
from planner.evaluate.kpi_types import Matrix, ratio
from planner.evaluate.kpis import as_matrix, assign_plan, checked_vector
from planner.optimize.solution import Solution

__all__ = ["stops_paying_p", "tradeoff_curve"]


def tradeoff_curve(
    solutions: Sequence[Solution] | Callable[[int], Solution],
    *,
    minutes: ArrayLike | Matrix,
    population: ArrayLike,
    standard_minutes: float = 15.0,
    p_values: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Objective and coverage as the number of centres ``p`` grows.

    Parameters
    ----------
    solutions
        Solved plans for several ``p`` (any order), or a callable ``solve_for_p(p)``
        returning a :class:`~planner.optimize.Solution`, called for each of ``p_values``.
    minutes
        ``(n_demand, n_sites)`` travel minutes (dense with ``inf``, or sparse).
    population
        People at each demand point.
    standard_minutes
        The service circle for the coverage column (minutes).
    p_values
        The ``p`` values to solve for when ``solutions`` is a callable (e.g. ``range(1, 11)``).

    Returns
    -------
    pandas.DataFrame
        One row per plan, sorted by ``p``: ``p``, ``status``, ``objective`` (the
        solver's), ``mean_minutes`` (population-weighted, served population),
        ``coverage_share`` (population within ``standard_minutes``),
        ``improvement`` (drop in ``mean_minutes`` from the previous row) and
        ``improvement_share`` (that drop as a share of the first row's ``mean_minutes``).
    """
    if callable(solutions):
        if p_values is None:
            raise InputError(
                "`p_values` is required when `solutions` is a callable (e.g. range(1, 11))."
            )
        sols = [solutions(int(p)) for p in p_values]
    else:
        sols = list(solutions)
    if not sols:
        raise InputError("`solutions` is empty: give at least one solved plan.")
    if not all(isinstance(s, Solution) for s in sols):
        raise InputError("`solutions` must hold planner.optimize.Solution objects.")
    thr = float(standard_minutes)
    if not math.isfinite(thr) or thr <= 0:
        raise InputError(f"`standard_minutes` must be a positive number; got {standard_minutes!r}.")
    t_mat = as_matrix(minutes, "minutes")
    n = t_mat.shape[0]
    pop = checked_vector(population, n, "population")
    total = float(pop.sum())
    rows = []
    for s in sols:
        if not s.has_plan:
            rows.append(
                {
                    "p": s.p,
                    "status": s.status.value,
                    "objective": math.nan,
                    "mean_minutes": math.nan,
                    "coverage_share": math.nan,
                }
            )
            continue
        asg = assign_plan(s, t_mat, None, None)
        served = np.isfinite(asg.minutes) & (pop > 0)
        w = pop[served]
        rows.append(
            {
                "p": s.p,
                "status": s.status.value,
                "objective": float(s.objective),
                "mean_minutes": float(np.dot(asg.minutes[served], w) / w.sum())
                if w.sum() > 0
                else math.nan,
                "coverage_share": ratio(float(pop[asg.minutes <= thr].sum()), total),
            }
        )
    df = pd.DataFrame(rows).sort_values("p", kind="stable").reset_index(drop=True)
    df["improvement"] = -df["mean_minutes"].diff()
    first = float(df["mean_minutes"].iloc[0])
    df["improvement_share"] = df["improvement"] / first if first > 0 else math.nan
    return df


def stops_paying_p(curve: pd.DataFrame, *, min_improvement_share: float = 0.05) -> int | None:
    """The ``p`` after which one more centre improves mean travel by less than a threshold.

    Parameters
    ----------
    curve
        The output of :func:`tradeoff_curve` (consecutive ``p`` values).
    min_improvement_share
        The smallest worthwhile improvement, as a share of the first row's mean travel.

    Returns
    -------
    int or None
        The first ``p`` whose next row improves by less than the threshold; None if
        every extra centre in the curve still pays.
    """
    imp = curve["improvement_share"].to_numpy(dtype=float)
    ps = curve["p"].to_numpy()
    for i in range(1, imp.size):
        if not imp[i] >= min_improvement_share:
            return int(ps[i - 1])
    return None
