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

import itertools
import json
import math
import re
import time
import tomllib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from pydantic import BaseModel

from planner.errors import ConfigError, InputError
from planner.inputs.demand import DemandWeights, reweight_demand
from planner.limits import current_limits
from planner.runs.config import ScenarioConfig, load_scenario, scenario_from_dict
from planner.runs.parallel import ProgressCallback, Task, run_tasks
from planner.sanitize import write_csv

if typing.TYPE_CHECKING:
    from planner.optimize import Solution
    from planner.runs.pipeline import PlanInputs

__all__ = [
    "PreparedPoints",
    "SweepResult",
    "apply_overrides",
    "check_grid_size",
    "check_parameter",
    "inputs_for",
    "load_sweep_scenario",
    "normalise_params",
    "parse_param",
    "parse_values",
    "prepare_points",
    "reweight_demand",
    "sweep",
    "sweep_grid",
]

#: Scenario sections that never change the loaded inputs (demand, sites, travel).
_MODEL_SECTIONS = (
    "name",
    "title",
    "description",
    "model",
    "solver",
    "standards",
    "outputs",
    "sweep",
)
#: Demand settings that only re-blend the stored components (``weight`` column).
_WEIGHT_KEYS = ("population", "residential", "faults")
_TRADEOFF_KEY = "outputs.tradeoff_max_p"
_EXAMPLES = (
    "model.p, demand.faults, model.radius, standards.response_minutes_urban, data.existing.policy"
)


# --------------------------------------------------------------------------------------
# parameters


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``annotation`` (``X``, ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def check_parameter(key: str) -> None:
    """Check that ``key`` is a dotted scenario setting that holds a value.

    Raises
    ------
    ConfigError
        Naming the unknown part of the key and giving examples of valid ones.
    """
    parts = key.strip().split(".")
    model: type[BaseModel] = ScenarioConfig
    for i, part in enumerate(parts):
        so_far = ".".join(parts[: i + 1])
        fields = model.model_fields
        if part not in fields or part == "base_dir":
            options = ", ".join(f for f in fields if f != "base_dir")
            raise ConfigError(
                f"sweep parameter `{key}`: `{so_far}` is not a scenario setting (settings here: "
                f"{options}); sweep a dotted setting such as {_EXAMPLES}."
            )
        sub = _unwrap_model(fields[part].annotation)
        last = i == len(parts) - 1
        if not last and sub is None:
            raise ConfigError(
                f"sweep parameter `{key}`: `{so_far}` is a single setting, not a table; "
                f"sweep `{so_far}` itself."
            )
        if last and sub is not None:
            first = next(iter(sub.model_fields))
            raise ConfigError(
                f"sweep parameter `{key}` is a whole table; sweep one of its settings, "
                f"e.g. `{key}.{first}`."
            )
        if sub is not None:
            model = sub


def _scalar(text: str) -> Any:
    """A TOML scalar (``3``, ``0.2``, ``true``, ``"x"``), or the bare text as a string."""
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _range(text: str, key: str) -> list[Any]:
    parts = [p.strip() for p in text.split(":")]
    if len(parts) not in (2, 3) or not all(parts):
        raise ConfigError(
            f"sweep parameter `{key}`: range {text!r} must be start:stop or start:stop:step."
        )
    nums = [_scalar(p) for p in parts]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in nums):
        raise ConfigError(f"sweep parameter `{key}`: range {text!r} must hold numbers.")
    start, stop = nums[0], nums[1]
    step = nums[2] if len(nums) == 3 else 1
    if step <= 0 or stop < start:
        raise ConfigError(
            f"sweep parameter `{key}`: range {text!r} needs start <= stop and a step > 0."
        )
    n = math.floor((stop - start) / step + 1e-9) + 1
    if n > 10_000:
        raise ConfigError(f"sweep parameter `{key}`: range {text!r} has {n} values; 10000 at most.")
    if all(isinstance(v, int) for v in (start, stop, step)):
        return list(range(start, stop + 1, step))
    return [round(start + k * step, 12) for k in range(n)]


def parse_values(spec: Any, *, key: str = "parameter") -> list[Any]:
    """The values of one sweep parameter.

    Parameters
    ----------
    spec
        A list of values; or text: a range ``"3:32"`` / ``"0:1:0.25"`` (both ends
        included), a comma list ``"0,0.2,0.4"`` / ``"keep,may_close"``, a TOML
        array ``"[[15, 30], [10, 20]]"`` (for settings that are themselves lists),
        or a single value.
    key
        The parameter's name, for messages.
    """
    if isinstance(spec, list | tuple):
        values = list(spec)
    elif isinstance(spec, str):
        text = spec.strip()
        if text.startswith("["):
            parsed = _scalar(text)
            if not isinstance(parsed, list):
                raise ConfigError(f"sweep parameter `{key}`: {text!r} is not a valid TOML array.")
            values = parsed
        elif re.fullmatch(r"[-+0-9.eE_]+:[-+0-9.eE_]+(:[-+0-9.eE_]+)?", text):
            values = _range(text, key)
        else:
            values = [_scalar(v) for v in text.split(",")] if text else []
    else:
        values = [spec]
    if not values:
        raise ConfigError(f"sweep parameter `{key}` has no values; give e.g. `{key}=3:10`.")
    return values


def parse_param(text: str) -> tuple[str, list[Any]]:
    """Parse one command-line ``--param KEY=VALUES`` (see :func:`parse_values`)."""
    if "=" not in text:
        raise ConfigError(
            f"--param {text!r}: write SETTING=VALUES, e.g. --param model.p=3:32 "
            "or --param demand.faults=0,0.2,0.4."
        )
    key, _, spec = text.partition("=")
    key = key.strip()
    check_parameter(key)
    return key, parse_values(spec, key=key)


def check_grid_size(params: Mapping[str, Sequence[Any]], *, source: str = "sweep") -> int:
    """The number of runs of a grid (the product of the parameters' numbers of values),
    checked against ``PLANNER_MAX_SWEEP_RUNS`` before any run is made.

    Raises
    ------
    ConfigError
        The grid is larger than the limit; the message gives each size and the setting.
    """
    sizes = {key: len(values) for key, values in params.items()}
    total = math.prod(sizes.values())
    limit = current_limits().max_sweep_runs
    if total > limit:
        shape = " x ".join(f"{n:,} ({key})" for key, n in sizes.items())
        raise ConfigError(
            f"{source}: the grid has {shape} = {total:,} runs, over the limit of {limit:,} runs "
            "(setting PLANNER_MAX_SWEEP_RUNS); sweep fewer values or raise the setting."
        )
    return total


def sweep_grid(params: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the parameters' values, the last parameter varying fastest.

    Raises
    ------
    ConfigError
        An unknown setting, or more runs than ``PLANNER_MAX_SWEEP_RUNS`` (:func:`check_grid_size`).
    """
    keys = list(params)
    for key in keys:
        check_parameter(key)
    check_grid_size(params)
    return [
        dict(zip(keys, combo, strict=True))
        for combo in itertools.product(*(list(params[k]) for k in keys))
    ]


def apply_overrides(
    config: ScenarioConfig, overrides: Mapping[str, Any], *, source: str = "sweep"
) -> ScenarioConfig:
    """A copy of ``config`` with dotted settings replaced, validated like a scenario file.

    >>> apply_overrides(config, {"model.p": 5, "demand.faults": 0.4})  # doctest: +SKIP

    Raises
    ------
    ConfigError
        For an unknown setting, a value of the wrong type or range (the message
        names the setting and the value), or a table missing from the scenario.
    """
    if not overrides:
        return config
    data = config.model_dump(mode="json")
    for key, value in overrides.items():
        check_parameter(key)
        parts = key.split(".")
        node = data
        for depth, part in enumerate(parts[:-1]):
            if node.get(part) is None:
                table = ".".join(parts[: depth + 1])
                raise ConfigError(
                    f"{source}: `{key}` needs a [{table}] table in the scenario file; add it first."
                )
            node = node[part]
        node[parts[-1]] = value
    label = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
    return scenario_from_dict(data, base_dir=config.base_dir, source=f"{source} ({label})")


def load_sweep_scenario(path: str | Path) -> tuple[ScenarioConfig, dict[str, list[Any]]]:
    """Read a scenario file and its optional ``[sweep]`` table.

    Returns
    -------
    (ScenarioConfig, dict)
        The scenario (without the sweep) and the parameters of its ``[sweep]``
        table, each parsed by :func:`parse_values` (empty without the table).
    """
    p = Path(path)
    if "sweep" in ScenarioConfig.model_fields:  # the scenario model knows the [sweep] table
        config = load_scenario(p)
        table = getattr(config, "sweep", None) or {}
    else:
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8")) if p.is_file() else None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
            raw = None
        if raw is None or "sweep" not in raw:
            return load_scenario(p), {}  # load_scenario raises the file's own errors
        table = raw.pop("sweep")
        if "base_dir" in raw:
            raise ConfigError(
                f"{p}: unknown setting `base_dir` (paths are relative to the scenario file)."
            )
        config = scenario_from_dict(raw, base_dir=p.resolve().parent, source=str(p))
    if not isinstance(table, dict):
        raise ConfigError(
            f'{p}: `sweep` must be a table: [sweep] with lines like "model.p" = "3:32".'
        )
    params: dict[str, list[Any]] = {}
    for key, spec in _flatten(table).items():
        try:
            check_parameter(key)
            params[key] = parse_values(spec, key=key)
        except ConfigError as exc:
            raise ConfigError(f"{p}: [sweep] {exc}") from None
    check_grid_size(params, source=f"{p}: [sweep]")
    return config, params


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"model": {"p": ...}}`` and ``{"model.p": ...}`` both give ``{"model.p": ...}``."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full + "."))
        else:
            out[full] = value
    return out


# --------------------------------------------------------------------------------------
# demand weights


def _weights_of(config: ScenarioConfig) -> tuple[float, float, float]:
    d = config.demand
    return (d.population, d.residential, d.faults)


def inputs_for(inputs: PlanInputs, config: ScenarioConfig) -> PlanInputs:
    """``inputs`` made to match ``config``'s demand weights (re-blended only when they differ).

    ``config`` must share the data settings of ``inputs.config`` (see :func:`_inputs_key`).
    """
    demand = inputs.demand
    if _weights_of(config) != _weights_of(inputs.config):
        d = config.demand
        demand = reweight_demand(demand, DemandWeights(d.population, d.residential, d.faults))
    return replace(inputs, demand=demand, config=config)


def _inputs_key(config: ScenarioConfig) -> str:
    """The settings that decide the loaded inputs; configs with equal keys share inputs."""
    data = config.model_dump(mode="json")
    for section in _MODEL_SECTIONS:
        data.pop(section, None)
    if config.data.generated_candidates is None:
        # Generated candidates are placed by weight; otherwise the weights only re-blend.
        for key in _WEIGHT_KEYS:
            data["demand"].pop(key, None)
    data["base_dir"] = str(config.base_dir)
    return json.dumps(data, sort_keys=True, default=str)


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
    from planner.runs.outdir import check_out_dir
    from planner.runs.pipeline import atomic_output_dir, input_paths

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
    extra = {} if _TRADEOFF_KEY in grid_params else {_TRADEOFF_KEY: None}
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
    from planner.runs.pipeline import build_problem, load_inputs, solve_options

    resolved = (
        list(configs)
        if configs is not None
        else [apply_overrides(config, point) for point in points]
    )
    start = time.perf_counter()
    keys = [_inputs_key(c) for c in resolved]
    given = _inputs_key(inputs.config) if inputs is not None else None
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
    svg.write_text(tradeoff_svg(result.table, list(result.params), config=config), encoding="utf-8")
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


# --------------------------------------------------------------------------------------
# the trade-off chart (a dependency-free SVG: opens in any browser, embeds in reports)

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def _coverage_column(table: pd.DataFrame) -> str | None:
    cols = [c for c in table.columns if re.fullmatch(r"within_[0-9.e+-]+min_share", str(c))]
    if not cols:
        return None
    return min(cols, key=lambda c: float(str(c)[7:-9]))


def _numeric_param(table: pd.DataFrame, keys: list[str]) -> str | None:
    for key in keys:
        col = table[key]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            return key
    return None


def tradeoff_svg(
    table: pd.DataFrame, param_keys: list[str], *, config: ScenarioConfig | None = None
) -> str:
    """An SVG chart of a sweep: mean travel time and coverage against the first numeric parameter.

    One line per combination of the other parameters; a failed point (no plan)
    leaves a gap. Labels follow ``config.outputs.language`` (Chinese and English).
    """
    zh = config is None or config.outputs.language == "zh"
    x_key = _numeric_param(table, param_keys)
    others = [k for k in param_keys if k != x_key]
    cov = _coverage_column(table)
    panels: list[tuple[str, str]] = []
    if "mean_minutes" in table:
        panels.append(
            (
                "mean_minutes",
                "平均出行时间（分钟）/ mean travel (min)" if zh else "Mean travel time (min)",
            )
        )
    if cov is not None:
        minutes = str(cov)[7:-9]
        panels.append(
            (
                cov,
                f"{minutes} 分钟内人口占比 / share within {minutes} min"
                if zh
                else f"Share within {minutes} min",
            )
        )
    if not panels:
        panels.append(("objective", "目标函数 / objective" if zh else "Objective"))
    x_values = (
        table[x_key].to_numpy(dtype=float) if x_key else np.arange(1, len(table) + 1, dtype=float)
    )
    x_label = x_key or ("方案序号 / run" if zh else "Run")
    combos = [tuple(row) for row in table[others].itertuples(index=False, name=None)]
    groups = [
        (combo, [i for i, c in enumerate(combos) if c == combo]) for combo in dict.fromkeys(combos)
    ]

    width, panel_h, left, right, top, gap = 720, 240, 70, 170, 64, 70
    height = top + len(panels) * (panel_h + gap)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">'
        f"{escape('方案权衡 / Sweep trade-off' if zh else 'Sweep trade-off')}</text>",
    ]
    x_lo, x_hi = float(np.nanmin(x_values)), float(np.nanmax(x_values))
    if x_hi == x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    plot_w = width - left - right

    def sx(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * plot_w

    for k, (col, title) in enumerate(panels):
        y0 = top + k * (panel_h + gap)
        values = table[col].to_numpy(dtype=float) if col in table else np.full(len(table), np.nan)
        finite = values[np.isfinite(values)]
        y_lo, y_hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        pad = (y_hi - y_lo) * 0.08 or max(abs(y_hi) * 0.05, 0.05)
        y_lo, y_hi = y_lo - pad, y_hi + pad

        def sy(y: float, y0: float = y0, y_lo: float = y_lo, y_hi: float = y_hi) -> float:
            return y0 + panel_h - (y - y_lo) / (y_hi - y_lo) * panel_h

        out.append(f'<text x="{left}" y="{y0 - 8}" font-weight="bold">{escape(title)}</text>')
        out.append(
            f'<rect x="{left}" y="{y0}" width="{plot_w}" height="{panel_h}" fill="none" stroke="#999"/>'
        )
        share = str(col).endswith("share")
        for tick in _nice_ticks(y_lo, y_hi) if finite.size else []:
            y = sy(tick)
            label = f"{100 * tick:g} %" if share else f"{tick:g}"
            out.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
            )
            out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
        for tick in _x_ticks(x_values, x_lo, x_hi):
            x = sx(tick)
            out.append(
                f'<text x="{x:.1f}" y="{y0 + panel_h + 16}" text-anchor="middle">{tick:g}</text>'
            )
        out.append(
            f'<text x="{left + plot_w / 2}" y="{y0 + panel_h + 34}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
        )
        for g, (name, idx) in enumerate(groups):
            colour = _COLOURS[g % len(_COLOURS)]
            rows = np.asarray(idx, dtype=np.int64)
            order = rows[np.argsort(x_values[rows], kind="stable")]
            segment: list[str] = []
            segments: list[list[str]] = []
            for r in order:
                if np.isfinite(values[r]):
                    segment.append(f"{sx(x_values[r]):.1f},{sy(values[r]):.1f}")
                    out.append(
                        f'<circle cx="{sx(x_values[r]):.1f}" cy="{sy(values[r]):.1f}" r="2.5" fill="{colour}"/>'
                    )
                elif segment:
                    segments.append(segment)
                    segment = []
            if segment:
                segments.append(segment)
            for seg in segments:
                out.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{colour}" stroke-width="1.8"/>'
                )
            if others and k == 0:
                label = ", ".join(
                    f"{key.rsplit('.', 1)[-1]}={v}"
                    for key, v in zip(
                        others, name if isinstance(name, tuple) else (name,), strict=True
                    )
                )
                ly = top + 14 * g + 6
                out.append(
                    f'<rect x="{left + plot_w + 12}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>'
                )
                out.append(f'<text x="{left + plot_w + 26}" y="{ly + 1}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _nice_ticks(lo: float, hi: float, n: int = 7) -> list[float]:
    """About ``n`` round tick values (1, 2 or 5 times a power of ten apart) within [lo, hi]."""
    raw = (hi - lo) / max(n - 1, 1)
    if not math.isfinite(raw) or raw <= 0:
        return [lo]
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw)
    first = math.ceil(lo / step) * step
    count = math.floor((hi - first) / step + 1e-9) + 1
    return [round(first + k * step, 12) for k in range(count)]


def _x_ticks(x_values: np.ndarray, x_lo: float, x_hi: float) -> list[float]:
    unique = np.unique(x_values[np.isfinite(x_values)])
    if unique.size <= 12:
        return [float(v) for v in unique]
    return [float(v) for v in np.linspace(x_lo, x_hi, 7)]
