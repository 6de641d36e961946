"""One clock for a solve: every stage reads the same deadline.

:func:`planner.optimize.solve` starts a :class:`Deadline` when it is called (argument
checks included), so ``Solution.runtime_s`` is the whole call and each stage gets only
the time that is really left. Stages that cannot be stopped once started (a MILP
solver's set-up) ask :meth:`Deadline.remaining` first and skip themselves when the time
left is shorter than they would need (see :func:`planner.optimize.exact.milp.solve_highs`).
The other rule that ends a solve early, the target gap, is checked here too
(:func:`check_target_gap`).

A solve can also be stopped from outside (the app's Stop button, Ctrl-C in the CLI): the
caller hands :func:`planner.optimize.solve` a *stop token*, anything with an ``is_set()``
method such as a :class:`threading.Event`. :func:`stop_scope` makes it the token of the
current thread's solve; :class:`Deadline` reads it, so every stage that asks the clock
whether time is up (:meth:`Deadline.expired`, :func:`due`) also ends when the token is
set, and HiGHS reads it through its interrupt callbacks
(:func:`planner.optimize.exact.milp.solve_highs`). Threads a stage starts carry the token
over with :func:`carry_stop`.
"""

from __future__ import annotations

import contextvars
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar, runtime_checkable

from planner.errors import ProblemError

#: ``details["stop_reason"]`` of a solve ended by its stop token.
STOPPED_BY_USER = "stopped"


@runtime_checkable
class StopToken(Protocol):
    """Anything whose ``is_set()`` says "stop now" (e.g. :class:`threading.Event`)."""

    def is_set(self) -> bool:
        """True once the run should stop."""
        ...


# The token of the solve running in this thread (a context variable: Streamlit sessions
# share one process, each solve sees only its own token).
_STOP: contextvars.ContextVar[StopToken | None] = contextvars.ContextVar(
    "planner_stop_token", default=None
)

_F = TypeVar("_F", bound=Callable[..., Any])


def check_stop_token(stop: Any) -> StopToken | None:
    """``stop`` checked at a public boundary: None, or an object with ``is_set()``.

    Raises
    ------
    ProblemError
        When it has no callable ``is_set``.
    """
    if stop is None:
        return None
    if not callable(getattr(stop, "is_set", None)):
        raise ProblemError(
            "`stop` must be None or have an is_set() method (e.g. a threading.Event); "
            f"got {type(stop).__name__}."
        )
    return stop


@contextmanager
def stop_scope(stop: StopToken | None) -> Iterator[StopToken | None]:
    """Make ``stop`` the token of the solve in this thread (None: keep the current one)."""
    if stop is None:
        yield _STOP.get()
        return
    reset = _STOP.set(stop)
    try:
        yield stop
    finally:
        _STOP.reset(reset)


def current_stop() -> StopToken | None:
    """The stop token of the solve running in this thread, if any."""
    return _STOP.get()


def stop_requested(stop: StopToken | None = None) -> bool:
    """True when ``stop`` (default: this thread's token) is set."""
    token = _STOP.get() if stop is None else stop
    return token is not None and bool(token.is_set())


def due(at: float) -> bool:
    """True once ``time.perf_counter()`` reaches ``at`` or this thread's token is set.

    The check of every loop that runs to a ``perf_counter`` deadline.
    """
    return time.perf_counter() >= at or stop_requested()


def carry_stop(fn: _F) -> _F:
    """``fn`` wrapped to run under this thread's stop token (for a thread a stage starts)."""
    token = _STOP.get()
    if token is None:
        return fn

    def run(*args: Any, **kwargs: Any) -> Any:
        with stop_scope(token):
            return fn(*args, **kwargs)

    return run  # type: ignore[return-value]


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
#: On a loaded machine that work takes longer in wall time: the reserve grows with
#: :func:`load_factor` (at most this factor), to at most :data:`RESERVE_LOADED_MAX_SECONDS`
#: and :data:`RESERVE_LOADED_MAX_SHARE` of the limit. Measured on the 2-core machine at
#: a quarter and an eighth of a core: the work after the stages' end (the last bound
#: step, reading the plan out) of a 20,000 x 1,000 p-median took 0.35 and 0.65 s.
LOAD_FACTOR_MAX = 4.0
RESERVE_LOADED_MAX_SECONDS = 0.8
RESERVE_LOADED_MAX_SHARE = 0.3


def load_factor() -> float:
    """How many times longer work takes now than on an idle machine, as far as the
    operating system tells: the 1-minute load average per core, between 1 and
    :data:`LOAD_FACTOR_MAX` (1 where there is no load average, e.g. on Windows).

    A process that wants a core on a machine with ``load`` runnable processes on
    ``cores`` cores gets about ``cores / load`` of one.
    """
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return 1.0
    return min(max(load / float(os.cpu_count() or 1), 1.0), LOAD_FACTOR_MAX)


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


def stage_limit(time_limit: float | None, load: float | None = None) -> float | None:
    """The time the stages of a solve may use under a user's ``time_limit`` (seconds).

    Parameters
    ----------
    time_limit
        The user's limit (seconds), or None.
    load
        How many times slower than on an idle machine work runs (default:
        :func:`load_factor`); the reserve for the work after the stages grows with it.
    """
    if time_limit is None:
        return None
    limit = float(time_limit)
    factor = load_factor() if load is None else min(max(float(load), 1.0), LOAD_FACTOR_MAX)
    reserve = min(RESERVE_SHARE * limit, RESERVE_MAX_SECONDS) * factor
    if factor > 1.0:
        cap = min(RESERVE_LOADED_MAX_SECONDS, RESERVE_LOADED_MAX_SHARE * limit)
        reserve = max(min(reserve, cap), min(RESERVE_SHARE * limit, RESERVE_MAX_SECONDS))
    return limit - reserve


class Deadline:
    """Wall-clock time since a start, against an optional limit (seconds, ``perf_counter``),
    and a stop token that ends the time at once when set.

    Parameters
    ----------
    time_limit
        Seconds from ``start``; ``None`` for no limit.
    start
        A ``time.perf_counter()`` reading; default: now.
    stop
        Stop token; default: the token of this thread's solve (:func:`current_stop`).
    """

    __slots__ = ("limit", "stop", "t0")

    def __init__(
        self,
        time_limit: float | None,
        *,
        start: float | None = None,
        stop: StopToken | None = None,
    ) -> None:
        self.t0 = time.perf_counter() if start is None else float(start)
        self.limit = None if time_limit is None else float(time_limit)
        self.stop = _STOP.get() if stop is None else stop

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.t0

    def stopped(self) -> bool:
        """True once the stop token is set."""
        return self.stop is not None and bool(self.stop.is_set())

    def left(self) -> float | None:
        """Seconds left (may be negative when past the limit); ``None`` without a limit.

        Time only: a stage handed this budget ends at a stop through its own checks
        (:func:`due`, :meth:`expired`), so that a stop is never mistaken for the time limit.
        """
        return None if self.limit is None else self.limit - self.elapsed()

    def remaining(self) -> float | None:
        """Seconds left, at least :data:`MIN_STAGE_SECONDS`; ``None`` without a limit."""
        left = self.left()
        return None if left is None else max(left, MIN_STAGE_SECONDS)

    def has(self, seconds: float) -> bool:
        """True when at least ``seconds`` are left (always without a limit), the run not
        stopped: the check before a stage that cannot be interrupted once started."""
        left = self.left()
        return not self.stopped() and (left is None or left >= seconds)

    def past_limit(self) -> bool:
        """True once the time limit itself has passed (the stop token aside)."""
        return self.limit is not None and self.elapsed() >= self.limit

    def expired(self) -> bool:
        """True once the limit has passed or the stop token is set."""
        left = self.left()
        return self.stopped() or (left is not None and left <= 0.0)

    def over(self, share: float = 1.0) -> bool:
        """True once ``share`` of the time limit has passed, or the stop token is set
        (for a method that splits its time into stages by shares)."""
        if self.stopped():
            return True
        return self.limit is not None and self.elapsed() >= share * self.limit

    def at(self) -> float:
        """The deadline as a ``perf_counter`` reading (``inf`` without a limit)."""
        return float("inf") if self.limit is None else self.t0 + self.limit
