"""One clock for a solve: every stage reads the same deadline.

:func:`planner.optimize.solve` starts a :class:`Deadline` when it is called (argument
checks included), so ``Solution.runtime_s`` is the whole call and each stage gets only
the time that is really left. Stages that cannot be stopped once started (a MILP
solver's set-up) ask :meth:`Deadline.remaining` first and skip themselves when the time
left is shorter than they would need (see :func:`planner.optimize.exact.milp.solve_highs`).
The other rule that ends a solve early, the target gap, is checked here too
(:func:`check_target_gap`).
"""

from __future__ import annotations

import time

from planner.errors import ProblemError

#: The least time a stage is given once it has been decided to run it (seconds): a
#: solver given 0 s would treat it as "no limit" or fail; 0.05 s is below the
#: tolerance of every time limit, max(10 %, 0.5 s).
MIN_STAGE_SECONDS = 0.05

#: The stages of a solve get the time limit less this share of it (at most
#: :data:`RESERVE_MAX_SECONDS`): what is left is for reading the plan out, the
#: objective recomputed and the answer assembled, so that the call as a whole ends
#: within max(10 %, 0.5 s) of the limit.
RESERVE_SHARE = 0.08
RESERVE_MAX_SECONDS = 0.4


def check_target_gap(target_gap: float | None) -> float:
    """A solve's ``target_gap`` checked: a share in ``[0, 1)``, None meaning 0 (prove it).

    Parameters
    ----------
    target_gap
        Relative gap at which a solve may stop (0.001 = 0.1 %), or None.

    Returns
    -------
    float
        The gap as a float.

    Raises
    ------
    ProblemError
        When it is not a number in ``[0, 1)`` (NaN and infinity included).
    """
    value = 0.0 if target_gap is None else float(target_gap)
    if not 0.0 <= value < 1.0:
        raise ProblemError(
            f"`target_gap` must be a share between 0 and 1 (0.001 = 0.1 %); got {target_gap}."
        )
    return value


def stage_limit(time_limit: float | None) -> float | None:
    """The time the stages of a solve may use under a user's ``time_limit`` (seconds)."""
    if time_limit is None:
        return None
    return float(time_limit) - min(RESERVE_SHARE * float(time_limit), RESERVE_MAX_SECONDS)


class Deadline:
    """Wall-clock time since a start, against an optional limit (seconds, ``perf_counter``).

    Parameters
    ----------
    time_limit
        Seconds from ``start``; ``None`` for no limit.
    start
        A ``time.perf_counter()`` reading; default: now.
    """

    __slots__ = ("limit", "t0")

    def __init__(self, time_limit: float | None, *, start: float | None = None) -> None:
        self.t0 = time.perf_counter() if start is None else float(start)
        self.limit = None if time_limit is None else float(time_limit)

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.t0

    def left(self) -> float | None:
        """Seconds left (may be negative when past the limit); ``None`` without a limit."""
        return None if self.limit is None else self.limit - self.elapsed()

    def remaining(self) -> float | None:
        """Seconds left, at least :data:`MIN_STAGE_SECONDS`; ``None`` without a limit."""
        left = self.left()
        return None if left is None else max(left, MIN_STAGE_SECONDS)

    def expired(self) -> bool:
        """True once the limit has passed."""
        left = self.left()
        return left is not None and left <= 0.0

    def at(self) -> float:
        """The deadline as a ``perf_counter`` reading (``inf`` without a limit)."""
        return float("inf") if self.limit is None else self.t0 + self.limit
