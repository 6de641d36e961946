"""Resource limits: how much one layer, upload or sweep may make the planner hold.

A 26 KB GeoParquet can expand to 2 million rows, a zipped Shapefile to gigabytes
and a ``[sweep]`` grid of three 10,000-value ranges to 10^12 runs. Every such
input is measured *before* it is expanded (row counts from the file's metadata,
sizes from the zip's directory, the grid's product from its sizes) and refused
with a :class:`~planner.errors.DataError` / :class:`~planner.errors.ConfigError`
naming the limit and the setting that raises it.

The limits are settings of the server (environment variables), not of a scenario
file or an app page, so a visitor cannot lift them:

=============================  ===============  ============================================
setting                        default          what it bounds
=============================  ===============  ============================================
``PLANNER_MAX_ROWS``           2,000,000        rows of one input layer (or raster cells)
``PLANNER_MAX_UNZIPPED_MB``    1,000            bytes a zipped upload / layer unpacks to
``PLANNER_MAX_ZIP_RATIO``      200              uncompressed / compressed size of a member
``PLANNER_MAX_SWEEP_RUNS``     10,000           runs in one sweep grid (product of sizes)
``PLANNER_MAX_UPLOAD_MB``      100              size of one uploaded file (the app)
=============================  ===============  ============================================

The values are read each time they are needed (no module state: one process
serves every app session).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Final

from planner.errors import ConfigError

__all__ = [
    "DEFAULTS",
    "Limits",
    "current_limits",
]

#: Each setting's default.
DEFAULTS: Final[dict[str, float]] = {
    "PLANNER_MAX_ROWS": 2_000_000,
    "PLANNER_MAX_UNZIPPED_MB": 1_000,
    "PLANNER_MAX_ZIP_RATIO": 200,
    "PLANNER_MAX_SWEEP_RUNS": 10_000,
}


@dataclass(frozen=True)
class Limits:
    """The limits in force (see the module docstring for the settings).

    Attributes
    ----------
    max_rows
        Rows (features) of one input layer.
    max_unzipped_bytes
        Bytes one zip may unpack to (all members together), in bytes.
    max_zip_ratio
        Largest uncompressed / compressed size of one zip member.
    max_sweep_runs
        Runs in one sweep grid: the product of the parameters' numbers of values.
    """

    max_rows: int
    max_unzipped_bytes: int
    max_zip_ratio: float
    max_sweep_runs: int


def _setting(name: str) -> float:
    text = os.environ.get(name, "").strip().replace("_", "")
    if not text:
        return DEFAULTS[name]
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(
            f"setting {name} = {os.environ.get(name)!r} is not a positive number; "
            f"unset it for the default ({DEFAULTS[name]:,.0f}) or set e.g. {DEFAULTS[name]:.0f}."
        )
    return value


def current_limits() -> Limits:
    """The limits from the environment (defaults where unset).

    Raises
    ------
    ConfigError
        A setting that is not a positive number (the message names it).
    """
    return Limits(
        max_rows=int(_setting("PLANNER_MAX_ROWS")),
        max_unzipped_bytes=int(_setting("PLANNER_MAX_UNZIPPED_MB") * 1e6),
        max_zip_ratio=_setting("PLANNER_MAX_ZIP_RATIO"),
        max_sweep_runs=int(_setting("PLANNER_MAX_SWEEP_RUNS")),
    )
