"""How a location model is solved: :class:`SolverOptions`, the knobs of :func:`planner.optimize.solve`.

The model's own parameters (``p``, ``radius``, ``budget``, ``max_sites``, ``split``,
hotspot limits, percentile standards) stay keyword arguments of ``solve``; everything
that says *how* to solve it -- method, solver, time limit, seed, gaps, formulation,
warm start, logging, model export and the scale methods' knobs -- lives in one frozen,
validated object, checked when it is built:

>>> from planner.optimize import SolverOptions
>>> SolverOptions(method="exact", time_limit=30.0).time_limit
30.0
>>> SolverOptions(time_limit=-1)
Traceback (most recent call last):
...
planner.errors.ProblemError: `time_limit` must be a positive number of seconds or None; got -1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from planner.errors import ProblemError
from planner.optimize.exact.milp import DEFAULT_MIP_GAP, SOLVERS
from planner.optimize.timing import StopToken, check_stop_token

__all__ = [
    "FORMULATIONS",
    "METHODS",
    "Formulation",
    "Method",
    "ModelOptions",
    "SolverName",
    "SolverOptions",
]

Method = Literal["auto", "exact", "heuristic"]
SolverName = Literal["highs", "cbc", "highs_pulp"]
Formulation = Literal["auto", "radius", "assignment"]

#: Methods accepted by :class:`SolverOptions` (``method=``).
METHODS: tuple[str, ...] = get_args(Method)

#: Formulations accepted by :class:`SolverOptions` (``formulation=``).
FORMULATIONS: tuple[str, ...] = get_args(Formulation)

#: Options that only ``method="heuristic"`` reads, with the value that means "not set".
_HEURISTIC_ONLY = {"neighbours": None, "bound": True}


def _is_bool(value: object) -> bool:
    return isinstance(value, (bool, np.bool_))


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not _is_bool(value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not _is_bool(value)


@dataclass(frozen=True, kw_only=True)
class SolverOptions:
    """How :func:`planner.optimize.solve` solves a model; validated when built.

    Every field has a default, so ``SolverOptions()`` is the standard solve: method
    ``"auto"``, HiGHS, no time limit, seed 0, deterministic. Change one knob with
    :func:`dataclasses.replace`. A bad value raises
    :class:`~planner.errors.ProblemError` naming the field.

    Parameters
    ----------
    method
        ``"exact"`` (MILP, proven optimal unless stopped), ``"heuristic"`` (greedy +
        swap search with a Lagrangian bound, :mod:`planner.optimize.scale.heuristics`),
        or ``"auto"`` (default): for p-median (and any model beyond
        :data:`planner.optimize.AUTO_EXACT_MAX_PAIRS` pairs) the scale method (plan plus
        Lagrangian proof) where it covers the model's options, then, if it stopped
        with a gap on a problem small enough, the exact MILP with the time left; the
        answer keeps the better plan and the tighter proven bound.
    solver
        MILP solver: ``"highs"`` (default; highspy's array API), ``"cbc"`` (PuLP + CBC)
        or ``"highs_pulp"`` (PuLP's HiGHS interface).
    time_limit
        Seconds for the whole solve, or ``None`` (default: no limit); a plan found by
        then is returned as ``feasible`` with its gap.
    seed
        Seed (integer >= 0) of the randomised searches and of HiGHS; see
        ``deterministic`` for what the same seed guarantees.
    mip_gap
        Relative gap (a share in ``[0, 1)``) at which the MILP counts as solved;
        default :data:`planner.optimize.exact.milp.DEFAULT_MIP_GAP`.
    target_gap
        ``"auto"`` p-median: stop once the certified gap is at most this share (e.g.
        0.001 = 0.1 %) instead of working on to the proof or the time limit; such a
        plan is ``feasible`` with ``details["stop_reason"] == "target_gap"``. 0
        (default): only a proof or the time limit ends the solve.
    deterministic
        ``True`` (default): with a seed, the same input gives the same plan on the same
        machine, also under a time limit, as long as ``details["time_limit_reached"]``
        is false -- every stage stops at its work limit (restarts, Lagrangian
        iterations, branch-and-bound nodes, the MILP's own search) and no search races
        the bound on a second thread; the time limit is a backstop that, when it ends a
        stage, sets that flag. ``False``: the stages share the time out and a search
        runs beside the bound, which uses the time better but makes a time-limited plan
        vary between runs.
    formulation
        ``p_median`` and uncapacitated ``facility_location``: ``"radius"`` (what
        ``"auto"``, the default, picks) or ``"assignment"`` (the classic one, for
        comparison). Other models take only ``"auto"``.
    warm_start
        Give the MILP a greedy-plus-swap p-median plan as its first incumbent (default
        ``True``).
    refine
        ``p_center``: among plans with the optimal radius, pick the one with the least
        total weighted cost (a p-median solve within the radius; default ``True``).
    verbose
        Show the solver's log (default ``False``).
    write_model
        Also write the MILP to this ``.mps`` or ``.lp`` file (exact method; not
        ``p_center``), to inspect it or hand it to another solver. Its folder must
        exist when :func:`~planner.optimize.solve` runs.
    neighbours
        ``method="heuristic"``: sites kept per demand point in the search's neighbour
        lists (integer >= 1); ``None`` (default): chosen from the size and ``p``.
    bound
        ``method="heuristic"``: compute the Lagrangian lower bound and gap (default
        ``True``); ``False`` returns the plan alone, a little sooner.
    stop
        A stop token: anything with ``is_set()``, e.g. a :class:`threading.Event` that
        another thread sets (a Stop button, Ctrl-C); ``None`` (default): the token of an
        enclosing solve in this thread, if any (:func:`planner.optimize.timing.stop_scope`).
        Once it is set every stage ends at its next check (each search step, Lagrangian
        round, branch-and-bound node, and HiGHS through its interrupt callbacks) and
        the best plan found so far is returned with ``details["stop_reason"] ==
        "stopped"`` and ``details["stopped_by_user"]``: ``feasible`` with the gap to the
        proven bound (never ``optimal``), or ``no_solution`` when there was no plan yet.
        Not part of the options' equality or text (it is not a setting of the solve).
    """

    method: Method = "auto"
    solver: SolverName = "highs"
    time_limit: float | None = None
    seed: int = 0
    mip_gap: float = DEFAULT_MIP_GAP
    target_gap: float = 0.0
    deterministic: bool = True
    formulation: Formulation = "auto"
    warm_start: bool = True
    refine: bool = True
    verbose: bool = False
    write_model: str | os.PathLike[str] | None = None
    neighbours: int | None = None
    bound: bool = True
    stop: StopToken | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ProblemError(
                f"unknown `method` {self.method!r}; choose one of {', '.join(METHODS)}."
            )
        if self.solver not in SOLVERS:
            raise ProblemError(
                f"unknown `solver` {self.solver!r}; choose one of {', '.join(SOLVERS)}."
            )
        if self.formulation not in FORMULATIONS:
            raise ProblemError(
                f"unknown `formulation` {self.formulation!r}; choose one of "
                f"{', '.join(FORMULATIONS)}."
            )
        limit = self.time_limit
        if limit is not None and (not _is_number(limit) or not limit > 0):
            raise ProblemError(
                f"`time_limit` must be a positive number of seconds or None; got {limit!r}."
            )
        if not _is_int(self.seed) or self.seed < 0:
            raise ProblemError(f"`seed` must be a non-negative integer; got {self.seed!r}.")
        for name in ("mip_gap", "target_gap"):
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 <= float(value) < 1.0:
                raise ProblemError(
                    f"`{name}` must be a share between 0 and 1 (0.001 = 0.1 %); got {value!r}."
                )
        for name in ("deterministic", "warm_start", "refine", "verbose", "bound"):
            if not _is_bool(getattr(self, name)):
                raise ProblemError(f"`{name}` must be True or False; got {getattr(self, name)!r}.")
        if self.neighbours is not None and (not _is_int(self.neighbours) or self.neighbours < 1):
            raise ProblemError(
                f"`neighbours` must be a whole number >= 1 or None; got {self.neighbours!r}."
            )
        if self.method != "heuristic":
            changed = [k for k, unset in _HEURISTIC_ONLY.items() if getattr(self, k) != unset]
            if changed:
                raise ProblemError(
                    f"option(s) {', '.join(changed)} apply only to method 'heuristic'; "
                    f"got method {self.method!r}."
                )
        check_stop_token(self.stop)
        if self.write_model is not None:
            path = Path(self.write_model)
            if path.suffix.lower() not in (".mps", ".lp"):
                raise ProblemError(f"`write_model` must end in .mps or .lp; got {str(path)!r}.")
        # Normalised values: plain Python numbers, the model path as a string.
        set_ = object.__setattr__
        if limit is not None:
            set_(self, "time_limit", float(limit))
        set_(self, "seed", int(self.seed))
        set_(self, "mip_gap", float(self.mip_gap))
        set_(self, "target_gap", float(self.target_gap))
        for name in ("deterministic", "warm_start", "refine", "verbose", "bound"):
            set_(self, name, bool(getattr(self, name)))
        if self.neighbours is not None:
            set_(self, "neighbours", int(self.neighbours))
        if self.write_model is not None:
            set_(self, "write_model", os.fspath(self.write_model))

    @property
    def model_path(self) -> str | None:
        """``write_model`` as a string path, or ``None``."""
        return None if self.write_model is None else os.fspath(self.write_model)


@dataclass(frozen=True)
class ModelOptions:
    """One solve's model parameters, checked against its problem, and its :class:`SolverOptions`.

    Built by :func:`planner.optimize.dispatch.validate` (the public boundary); the exact
    and scale methods take it and trust it. Units as in :func:`planner.optimize.solve`:
    ``radius``, ``hotspot_max_cost`` and the standards' costs in the cost's unit.
    """

    model: str
    p: int | None = None
    radius: float | None = None
    budget: float | None = None
    max_sites: int | None = None
    split: bool = False
    hotspot_rows: np.ndarray | None = None
    hotspot_max_cost: np.ndarray | None = None
    standards: tuple[tuple[float, float], ...] = ()
    solver_options: SolverOptions = field(default_factory=SolverOptions)

    @property
    def most_sites(self) -> int | None:
        """The most sites a plan may open: ``p``, else ``max_sites`` (None: no limit)."""
        return self.p if self.p is not None else self.max_sites

    @property
    def has_extras(self) -> bool:
        """True when hotspot limits or percentile standards apply."""
        return bool(self.standards) or (
            self.hotspot_rows is not None and self.hotspot_rows.size > 0
        )

    @property
    def side_constraints(self) -> tuple[str, ...]:
        """Names of the side constraints set (``budget``, ``split``, ``hotspot_rows``,
        ``standards``): the scale methods take none of them."""
        named = (
            ("budget", self.budget is not None),
            ("split", self.split),
            ("hotspot_rows", self.hotspot_rows is not None),
            ("standards", bool(self.standards)),
        )
        return tuple(name for name, present in named if present)
