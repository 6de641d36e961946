"""Sweeps: one scenario solved over a grid of settings, in parallel on Dask.

A sweep parameter is a dotted scenario setting (``model.p``, ``demand.faults``,
``model.radius``, ``standards.response_minutes_urban``, ``data.existing.policy``)
with a list of values; several parameters make a grid (every combination).
On the command line::

    planner sweep SCENARIO.toml --out DIR --param model.p=3:32 --param demand.faults=0,0.2,0.4

and in the scenario file, a ``[sweep]`` table with the same keys quoted::

    [sweep]
    "model.p" = "3:32"             # a range, both ends included (start:stop or start:stop:step)
    "demand.faults" = [0, 0.2, 0.4]

The expensive part of a run (reading layers, building demand, the travel
matrix) is done once per distinct data setting and shipped to every worker
once; a point that only changes the model, the solver, the standards or the
demand weights reuses it (new weights re-blend the stored demand components,
see :func:`reweight_demand`). Each point is then solved and measured; its run
folder is written by the worker that solved it, inside the sweep's temporary
folder, so an interrupted sweep leaves nothing behind.

From a Python script, start a parallel sweep under ``if __name__ == "__main__":``
(Dask starts its worker processes by re-importing the script, as
:mod:`multiprocessing` does on Windows and macOS).
"""

from __future__ import annotations

import json
import math
import re
import time
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import ConfigError, InputError
from planner.optimize import Solution
from planner.present.charts import sweep_svg
from planner.runs.config import ScenarioConfig
from planner.runs.grid import (
    TRADEOFF_KEY,
    apply_overrides,
    check_parameter,
    load_sweep_scenario,
    parse_param,
    parse_values,
    sweep_grid,
)
from planner.runs.parallel import ProgressCallback, Task, run_tasks
from planner.runs.reblend import inputs_for, inputs_key
from planner.runs.results import PlanInputs
from planner.sanitize import write_csv

__all__ = [
    "PreparedPoints",
    "SweepResult",
    "normalise_params",
    "prepare_points",
    "sweep",
]


# --------------------------------------------------------------------------------------
# one point (runs on a worker)


def _solve_point(inputs: PlanInputs, config: ScenarioConfig, run_dir: str | None) -> dict[str, Any]:
    from planner.runs.pipeline import run_scenario

    start = time.perf_counter()
    result = run_scenario(
        config,
        out_dir=None if run_dir is None else Path(run_dir),
        inputs=inputs_for(inputs, config),
    )
    summary = result.kpis.summary() if result.kpis is not None else {}
    return {
        "solution": result.solution,
        "open_site_ids": [str(s) for s in result.chosen_sites["site_id"]],
        "summary": summary,
        "why_no_plan": result.why_no_plan() or "",
        "task_s": time.perf_counter() - start,
    }


# --------------------------------------------------------------------------------------
# the sweep


@dataclass(frozen=True, eq=False)
class SweepResult:
    """A finished sweep.

    Attributes
    ----------
    table
        One row per point: ``run`` (its folder name), one column per parameter
        (named by its dotted key), ``status``, ``quality``, ``objective``,
        ``bound``, ``gap``, ``solve_s`` (the solver's seconds), ``task_s``
        (solve, KPIs and outputs), ``n_open``, ``open_site_ids`` (``;``-separated),
        ``why_no_plan`` (empty, or why the point has no plan, in the scenario's
        language), then the KPI headline numbers (:meth:`planner.evaluate.kpis.PlanKPIs.summary` keys).
    params
        The swept parameters and their values.
    solutions
        The :class:`~planner.optimize.Solution` of each row.
    configs
        The resolved scenario of each row.
    out_dir, outputs
        The sweep's folder and its files (``table_csv``, ``table_parquet``,
        ``tradeoff_svg``, ``summary_json``, ``runs``), when written.
    scheduler, n_workers
        Where it ran (``serial``, ``local`` or the scheduler address) and on how many workers.
    load_s, startup_s, solve_wall_s, wall_s
        Seconds spent loading inputs, starting the Dask cluster (0 when serial),
        running the points, and in all.
    n_input_loads
        How many times inputs were loaded (once per distinct data setting).
    """

    table: pd.DataFrame
    params: dict[str, tuple[Any, ...]]
    solutions: tuple[Solution, ...]
    configs: tuple[ScenarioConfig, ...]
    scheduler: str
    n_workers: int
    load_s: float
    startup_s: float
    solve_wall_s: float
    wall_s: float
    n_input_loads: int
    out_dir: Path | None = None
    outputs: dict[str, Path] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (the table as records, NaN as None)."""
        return {
            "params": {k: list(v) for k, v in self.params.items()},
            "n_runs": len(self.table),
            "scheduler": self.scheduler,
            "n_workers": self.n_workers,
            "n_input_loads": self.n_input_loads,
            "load_s": round(self.load_s, 3),
            "startup_s": round(self.startup_s, 3),
            "solve_wall_s": round(self.solve_wall_s, 3),
            "wall_s": round(self.wall_s, 3),
            "out_dir": None if self.out_dir is None else str(self.out_dir),
            "outputs": {k: str(v) for k, v in self.outputs.items()},
            "rows": _records(self.table),
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    rows = json.loads(df.to_json(orient="records", force_ascii=False, double_precision=15))
    return typing.cast(list[dict[str, Any]], rows)


def _slug(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, list | dict) else str(value)
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", text).strip("-")[:24] or "x"


def _run_name(i: int, point: Mapping[str, Any]) -> str:
    parts = [f"{k.rsplit('.', 1)[-1]}-{_slug(v)}" for k, v in point.items()]
    return "_".join([f"{i + 1:03d}", *parts])[:96]


def sweep(
    scenario: str | Path | ScenarioConfig,
    params: Mapping[str, Any] | Sequence[str] | None = None,
    *,
    out_dir: str | Path | None = None,
    force: bool = False,
    parallel: bool = True,
    scheduler: str | Any | None = None,
    n_workers: int | None = None,
    run_folders: bool = True,
    inputs: PlanInputs | None = None,
    progress: ProgressCallback | None = None,
    on_stage: typing.Callable[[str], None] | None = None,
) -> SweepResult:
    """Solve a scenario over a grid of settings, in parallel.

    Parameters
    ----------
    scenario
        A scenario file (its ``[sweep]`` table is used when ``params`` is not
        given) or a :class:`~planner.runs.config.ScenarioConfig`.
    params
        ``{"model.p": [3, 4, 5], "demand.faults": "0,0.2"}`` (values as in
        :func:`parse_values`) or command-line strings ``["model.p=3:32"]``.
        Several parameters make a grid.
    out_dir
        Folder for ``sweep.csv``, ``sweep.parquet``, ``tradeoff.svg``,
        ``sweep.json`` and ``runs/<run>/`` (one run folder per point, as written
        by ``planner run``). ``None``: write nothing.
    force
        Replace an existing ``out_dir``.
    parallel
        ``False``: a plain loop in this process (no Dask).
    scheduler
        ``None``: a local Dask cluster sized to the machine; an address
        (``tcp://host:8786``): a running Dask cluster whose workers have the
        planner installed and see ``out_dir`` (a shared disk); or a
        ``distributed.Client``.
    n_workers
        Workers of the local cluster (default: one per core).
    run_folders
        Write each point's run folder (map, report, GeoPackage, ...) under
        ``out_dir/runs``; ``False``: only the table and the chart. The run
        folders' reports leave out their own trade-off curve over ``p``
        (``outputs.tradeoff_max_p``; the sweep is the trade-off) unless that
        setting is itself swept.
    inputs
        Already loaded inputs of ``scenario`` to reuse.
    progress
        ``progress(done, total)`` after each point.
    on_stage
        ``on_stage(text)`` when a long step starts (for progress displays).

    Returns
    -------
    SweepResult

    Raises
    ------
    InputError
        A bad setting or value (naming the parameter), an existing ``out_dir``
        without ``force``, an unreachable scheduler. Raised before anything is
        written.
    """
    from planner.runs.outdir import atomic_output_dir, check_out_dir, input_paths

    t0 = time.perf_counter()
    file_params: dict[str, list[Any]] = {}
    if isinstance(scenario, ScenarioConfig):
        config = scenario
    else:
        config, file_params = load_sweep_scenario(scenario)
    grid_params = normalise_params(params) if params is not None else file_params
    if not grid_params:
        raise ConfigError(
            "nothing to sweep: give --param SETTING=VALUES (e.g. --param model.p=3:32) "
            'or a [sweep] table in the scenario file (e.g. "model.p" = "3:32").'
        )
    points = sweep_grid(grid_params)
    # Each run folder's report would otherwise re-solve its own trade-off curve over p: the
    # sweep is the trade-off, so run folders go without it unless that setting is swept.
    extra = {} if TRADEOFF_KEY in grid_params else {TRADEOFF_KEY: None}
    configs = [apply_overrides(config, {**point, **extra}) for point in points]
    target = None if out_dir is None else Path(out_dir)
    protect = input_paths(config)
    if target is not None:  # every --out problem before loading; locked before solving
        check_out_dir(target, force=force, protect=protect)

    # Load inputs once per distinct data setting; check every point before solving any.
    if on_stage is not None:
        on_stage("Reading layers, building demand, computing travel times")
    prepared = prepare_points(config, points, configs=configs, inputs=inputs)
    keys, load_s, n_loads = prepared.keys, prepared.load_s, prepared.n_loads
    used = prepared.shared

    if on_stage is not None:
        on_stage(
            f"Solving {len(points)} scenarios"
            + (" (starting the Dask cluster first)" if parallel and scheduler is None else "")
        )
    names = [_run_name(i, p) for i, p in enumerate(points)]

    def _execute(runs_root: Path | None) -> tuple[list[dict[str, Any]], Any, float]:
        tasks = [
            Task(key, (cfg, None if runs_root is None else str(runs_root / name)))
            for key, cfg, name in zip(keys, configs, names, strict=True)
        ]
        t_solve = time.perf_counter()
        results, info = run_tasks(
            _solve_point,
            used,
            tasks,
            parallel=parallel,
            scheduler=scheduler,
            n_workers=n_workers,
            progress=progress,
        )
        return results, info, time.perf_counter() - t_solve - info.startup_s

    if target is None:
        results, info, solve_wall = _execute(None)
        table = _table(points, names, results, with_dirs=False)
        return SweepResult(
            table=table,
            params={k: tuple(v) for k, v in grid_params.items()},
            solutions=tuple(r["solution"] for r in results),
            configs=tuple(configs),
            scheduler=info.scheduler,
            n_workers=info.n_workers,
            load_s=load_s,
            startup_s=info.startup_s,
            solve_wall_s=solve_wall,
            wall_s=time.perf_counter() - t0,
            n_input_loads=n_loads,
        )

    with atomic_output_dir(target, force=force, protect=protect) as tmp:
        runs_root = tmp / "runs" if run_folders else None
        if runs_root is not None:
            runs_root.mkdir()
        results, info, solve_wall = _execute(runs_root)
        if runs_root is not None:
            missing = [n for n in names if not (runs_root / n).is_dir()]
            if missing:
                raise InputError(
                    f"the Dask workers wrote {len(missing)} run folder(s) (e.g. {missing[0]}) where "
                    f"this machine cannot see them; give an --out on a disk that every worker "
                    "shares, or add --no-runs."
                )
        table = _table(points, names, results, with_dirs=run_folders)
        if on_stage is not None:
            on_stage("Writing the sweep table and trade-off chart")
        result = SweepResult(
            table=table,
            params={k: tuple(v) for k, v in grid_params.items()},
            solutions=tuple(r["solution"] for r in results),
            configs=tuple(configs),
            scheduler=info.scheduler,
            n_workers=info.n_workers,
            load_s=load_s,
            startup_s=info.startup_s,
            solve_wall_s=solve_wall,
            wall_s=time.perf_counter() - t0,
            n_input_loads=n_loads,
        )
        written = _write_sweep(result, tmp, config)
        if runs_root is not None:
            written["runs"] = runs_root
    outputs = {k: target / v.relative_to(tmp) for k, v in written.items()}
    return replace(result, out_dir=target, outputs=outputs, wall_s=time.perf_counter() - t0)


@dataclass(frozen=True, eq=False)
class PreparedPoints:
    """Sweep points with their loaded inputs, checked and ready to solve.

    Attributes
    ----------
    configs
        The resolved scenario of each point.
    keys
        The inputs key of each point (points with equal keys share inputs).
    shared
        The loaded inputs by key.
    load_s
        Seconds spent loading inputs.
    n_loads
        How many inputs were loaded here (not counting inputs given by the caller).
    """

    configs: tuple[ScenarioConfig, ...]
    keys: tuple[str, ...]
    shared: dict[str, PlanInputs]
    load_s: float
    n_loads: int


def prepare_points(
    config: ScenarioConfig,
    points: Sequence[Mapping[str, Any]],
    *,
    configs: Sequence[ScenarioConfig] | None = None,
    inputs: PlanInputs | None = None,
) -> PreparedPoints:
    """Load the inputs of every distinct data setting once and check every point's model.

    Parameters
    ----------
    config
        The base scenario.
    points
        The grid points (``{dotted key: value}``).
    configs
        The points' scenarios, when already resolved (default: ``apply_overrides``).
    inputs
        Already loaded inputs of ``config`` to reuse.

    Raises
    ------
    InputError
        For the first point whose setting is invalid on its data (e.g. ``p`` above
        the number of sites), naming the point.
    """
    from planner.runs.options import solve_options
    from planner.runs.pipeline import build_problem, load_inputs

    resolved = (
        list(configs)
        if configs is not None
        else [apply_overrides(config, point) for point in points]
    )
    start = time.perf_counter()
    keys = [inputs_key(c) for c in resolved]
    given = inputs_key(inputs.config) if inputs is not None else None
    shared: dict[str, PlanInputs] = {}
    if inputs is not None and given is not None:
        shared[given] = inputs
    for key, cfg in zip(keys, resolved, strict=True):
        if key not in shared:
            shared[key] = load_inputs(cfg)
    load_s = time.perf_counter() - start
    for point, key, cfg in zip(points, keys, resolved, strict=True):
        try:
            ready = inputs_for(shared[key], cfg)
            build_problem(ready, cfg)
            solve_options(ready, cfg)
        except InputError as exc:
            label = ", ".join(f"{k}={v!r}" for k, v in point.items())
            raise type(exc)(f"sweep point {label}: {exc}") from None
    return PreparedPoints(
        configs=tuple(resolved),
        keys=tuple(keys),
        shared={k: v for k, v in shared.items() if k in set(keys)},
        load_s=load_s,
        n_loads=len(set(keys) - {given}),
    )


def normalise_params(params: Mapping[str, Any] | Sequence[str]) -> dict[str, list[Any]]:
    """Sweep parameters as ``{key: [values]}`` from a mapping or ``KEY=VALUES`` strings."""
    if isinstance(params, Mapping):
        out: dict[str, list[Any]] = {}
        for key, spec in params.items():
            check_parameter(key)
            out[key] = parse_values(spec, key=key)
        return out
    if isinstance(params, str):
        params = [params]
    out = {}
    for text in params:
        key, values = parse_param(text)
        if key in out:
            raise ConfigError(f"--param {key} is given twice; give all its values in one --param.")
        out[key] = values
    return out


def _table(
    points: list[dict[str, Any]],
    names: list[str],
    results: list[dict[str, Any]],
    *,
    with_dirs: bool,
) -> pd.DataFrame:
    rows = []
    for point, name, res in zip(points, names, results, strict=True):
        sol = res["solution"]
        row: dict[str, Any] = {"run": name}
        for key, value in point.items():
            row[key] = json.dumps(value) if isinstance(value, list | dict) else value
        row.update(
            {
                "status": sol.status.value,
                "quality": sol.quality(),
                "objective": float(sol.objective) if np.isfinite(sol.objective) else math.nan,
                "bound": math.nan if sol.bound is None else float(sol.bound),
                "gap": math.nan if sol.gap is None else float(sol.gap),
                "solve_s": float(sol.runtime_s),
                "task_s": float(res["task_s"]),
                "n_open": int(sol.p),
                "open_site_ids": ";".join(res["open_site_ids"]),
                "why_no_plan": res["why_no_plan"],
            }
        )
        for key, value in res["summary"].items():
            row[key] = math.nan if value is None else float(value)
        if with_dirs:
            row["run_dir"] = f"runs/{name}"
        rows.append(row)
    return pd.DataFrame(rows)


def _write_sweep(result: SweepResult, folder: Path, config: ScenarioConfig) -> dict[str, Path]:
    written: dict[str, Path] = {}
    csv = folder / "sweep.csv"
    # UTF-8 with a byte-order mark: Excel on Windows then reads Chinese text correctly.
    write_csv(result.table, csv)
    written["table_csv"] = csv
    parquet = folder / "sweep.parquet"
    result.table.to_parquet(parquet, index=False)
    written["table_parquet"] = parquet
    svg = folder / "tradeoff.svg"
    svg.write_text(
        sweep_svg(result.table, list(result.params), language=config.outputs.language),
        encoding="utf-8",
    )
    written["tradeoff_svg"] = svg
    summary = folder / "sweep.json"
    doc = result.to_dict()
    doc.pop("outputs")
    doc.pop("out_dir")
    doc["scenario"] = config.name
    doc["base_settings"] = json.loads(config.model_dump_json(exclude_none=True))
    summary.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    written["summary_json"] = summary
    return written
