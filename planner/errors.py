"""The planner's error hierarchy.

Every error that a user can fix (a missing file, an unknown column, a bad
setting, an impossible model) is an :class:`InputError`: its message is one
line that names the file, layer, column, argument or setting and says how to
fix it. The CLI turns it into exit code 2 without a traceback; the app shows
it with ``st.error``. Anything else escaping the library is a bug.
"""

from __future__ import annotations


class PlannerError(Exception):
    """Base class of every error raised on purpose by the planner."""


class InputError(PlannerError, ValueError):
    """Bad input that the user can fix: file, layer, column, argument or setting."""


class DataError(InputError):
    """A data file or layer is missing, unreadable or holds invalid values.

    Attributes
    ----------
    reason
        A short code of what is wrong (``"zip_invalid"``, ``"zip_parts_missing"``,
        ``"encoding_fails"``, ``"column_missing"``, ...; ``""`` when not given), so that a
        front end (the app) can say it in its own words and language.
    details
        What the message names: ``path`` (the file), and per reason ``column``,
        ``columns``, ``parts``, ``member``, ``rows``, ... (plain values).
    """

    def __init__(self, message: str, *, reason: str = "", **details: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details


class ConfigError(InputError):
    """A scenario setting is unknown, missing or of the wrong type."""


class ProblemError(InputError):
    """The optimisation problem or its arguments are invalid (shapes, signs, p, model name)."""


class SolverError(PlannerError):
    """The solver itself failed (HiGHS reported an error status): not a property of the
    data, and not "no plan exists". The message names the solver's status."""


class RunStoppedError(PlannerError):
    """A run ended by its stop token (the app's Stop button, Ctrl-C in the CLI) before it
    finished: nothing was written (no output folder, not even part of one).

    Attributes
    ----------
    stage
        The stage it stopped in or before: ``"reading"``, ``"aggregation"``,
        ``"travel"``, ``"solve"``, ``"kpis"`` or ``"outputs"``.
    """

    def __init__(self, stage: str) -> None:
        self.stage = stage
        super().__init__(f"stopped by the user during stage '{stage}'; nothing was written.")


class SettingWarning(UserWarning):
    """A scenario setting that the chosen model does not use (it is ignored)."""


class DataWarning(UserWarning):
    """A layer that reads but is probably wrong (extents apart, points far away, a CRS or
    datum that does not fit the coordinates); an error under the scenario's ``strict = true``."""


class OptionalDependencyError(PlannerError, ImportError):
    """An optional package is needed for this feature; the message says what to install."""
