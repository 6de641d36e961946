"""Compare finished runs side by side: KPIs, sites added, dropped and kept, and what settings differ.

Each run folder (written by ``planner run``, ``planner sweep`` or
:func:`planner.runs.pipeline.run_scenario`) holds ``kpis.json`` (``diagnosis.json``
instead when the model had no plan) and ``scenario.lock.toml``; nothing else
is read, and nothing is written.
The first folder is the reference: sites are *added*, *dropped* or *kept*
relative to it.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import DataError, InputError

__all__ = ["Comparison", "RunRecord", "compare_runs", "read_run"]

KPIS_FILE = "kpis.json"
LOCK_FILE = "scenario.lock.toml"
DIAGNOSIS_FILE = "diagnosis.json"


@dataclass(frozen=True)
class RunRecord:
    """What :func:`read_run` takes from one run folder."""

    name: str
    path: Path
    scenario: str
    status: str | None
    objective: float | None
    gap: float | None
    open_site_ids: tuple[str, ...]
    kpis: dict[str, float | None]
    settings: dict[str, Any]
    written_at: str | None


def _find_summary(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The KPI headline numbers of ``kpis.json`` (top-level ``summary`` or ``plan.summary``)."""
    for candidate in (doc, doc.get("plan"), doc.get("kpis")):
        if isinstance(candidate, Mapping) and isinstance(candidate.get("summary"), Mapping):
            return dict(candidate["summary"])
    return {}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, full + "."))
        else:
            out[full] = value
    return out


def read_run(folder: str | Path, *, name: str | None = None) -> RunRecord:
    """Read a run folder's ``kpis.json`` and ``scenario.lock.toml``.

    Raises
    ------
    InputError
        The folder does not exist or is not a run folder (a file is missing).
    DataError
        A file is not valid JSON / TOML.
    """
    path = Path(folder)
    if not path.is_dir():
        raise InputError(
            f"run folder {path} does not exist; give folders written by `planner run --out`."
        )
    lock_path, kpis_path = path / LOCK_FILE, path / KPIS_FILE
    # A run without a plan (infeasible) has diagnosis.json instead of kpis.json.
    no_plan = not kpis_path.is_file() and (path / DIAGNOSIS_FILE).is_file()
    for f in (lock_path,) if no_plan else (lock_path, kpis_path):
        if not f.is_file():
            raise InputError(
                f"{path} is not a run folder: {f.name} is missing (write one with "
                f"`planner run SCENARIO.toml --out {path}`)."
            )
    try:
        lock = tomllib.loads(lock_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{lock_path}: not a valid lock file ({exc}).") from None
    doc: Any = {}
    if not no_plan:
        try:
            doc = json.loads(kpis_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{kpis_path}: not valid JSON ({exc}).") from None
    if not isinstance(doc, Mapping):
        raise DataError(f"{kpis_path}: expected a JSON object with the run's KPIs.")
    solution = lock.get("solution", {}) if isinstance(lock.get("solution"), Mapping) else {}
    settings = lock.get("settings", {}) if isinstance(lock.get("settings"), Mapping) else {}
    kpis = {
        str(k): (None if v is None else float(v))
        for k, v in _find_summary(doc).items()
        if v is None or isinstance(v, int | float)
    }
    return RunRecord(
        name=name or path.name,
        path=path,
        scenario=str(settings.get("name", path.name)),
        status=solution.get("status"),
        objective=_float(solution.get("objective")),
        gap=_float(solution.get("gap")),
        open_site_ids=tuple(str(s) for s in lock.get("open_site_ids", [])),
        kpis=kpis,
        settings=_flatten(settings),
        written_at=(lock.get("planner_lock") or {}).get("written_at"),
    )


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


@dataclass(frozen=True, eq=False)
class Comparison:
    """Runs side by side.

    Attributes
    ----------
    runs
        The :class:`RunRecord` of each folder, in the order given.
    kpis
        Index: ``objective``, ``gap`` and the KPI headline keys; one column per run.
    sites
        One row per run (index: run name): ``n_open``, ``kept``, ``added``,
        ``dropped`` (counts relative to the first run) and ``added_ids``,
        ``dropped_ids`` (``;``-separated).
    settings
        The settings that differ between the runs (index: dotted key; one column per run).
    """

    runs: tuple[RunRecord, ...]
    kpis: pd.DataFrame
    sites: pd.DataFrame
    settings: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "reference": self.runs[0].name,
            "runs": [
                {
                    "name": r.name,
                    "path": str(r.path),
                    "scenario": r.scenario,
                    "status": r.status,
                    "objective": r.objective,
                    "gap": r.gap,
                    "written_at": r.written_at,
                    "open_site_ids": list(r.open_site_ids),
                }
                for r in self.runs
            ],
            "kpis": {
                key: {run: _num(v) for run, v in row.items()}
                for key, row in self.kpis.to_dict(orient="index").items()
            },
            "sites": {
                run: {k: (_num(v) if isinstance(v, float) else v) for k, v in row.items()}
                for run, row in self.sites.to_dict(orient="index").items()
            },
            "settings_that_differ": {
                key: dict(row.items()) for key, row in self.settings.to_dict(orient="index").items()
            },
        }


def _num(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _unique_names(paths: Sequence[Path]) -> list[str]:
    names = [p.name or str(p) for p in paths]
    if len(set(names)) == len(names):
        return names
    return [f"{i + 1}:{n}" for i, n in enumerate(names)]


def compare_runs(run_dirs: Sequence[str | Path]) -> Comparison:
    """Compare run folders side by side (the first is the reference).

    Parameters
    ----------
    run_dirs
        Two or more folders written by ``planner run --out``.

    Returns
    -------
    Comparison
    """
    paths = [Path(p) for p in run_dirs]
    if len(paths) < 2:
        raise InputError(
            "compare needs at least two run folders, e.g. `planner compare out/a out/b`."
        )
    names = _unique_names(paths)
    runs = tuple(read_run(p, name=n) for p, n in zip(paths, names, strict=True))

    keys: list[str] = ["objective", "gap"]
    for r in runs:
        keys.extend(k for k in r.kpis if k not in keys)
    kpis = pd.DataFrame(
        {
            r.name: [
                r.objective if k == "objective" else r.gap if k == "gap" else r.kpis.get(k)
                for k in keys
            ]
            for r in runs
        },
        index=keys,
        dtype=float,
    )

    ref = set(runs[0].open_site_ids)
    site_rows = {}
    for r in runs:
        now = set(r.open_site_ids)
        added = [s for s in r.open_site_ids if s not in ref]
        dropped = [s for s in runs[0].open_site_ids if s not in now]
        site_rows[r.name] = {
            "n_open": len(r.open_site_ids),
            "kept": len(ref & now),
            "added": len(added),
            "dropped": len(dropped),
            "added_ids": ";".join(added),
            "dropped_ids": ";".join(dropped),
        }
    sites = pd.DataFrame.from_dict(site_rows, orient="index")

    setting_keys: list[str] = []
    for r in runs:
        setting_keys.extend(k for k in r.settings if k not in setting_keys)
    differ = {}
    for key in setting_keys:
        values = [r.settings.get(key) for r in runs]
        if any(v != values[0] for v in values[1:]):
            differ[key] = {
                r.name: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
                for r, v in zip(runs, values, strict=True)
            }
    settings = pd.DataFrame.from_dict(differ, orient="index", columns=[r.name for r in runs])
    return Comparison(runs=runs, kpis=kpis, sites=sites, settings=settings)
