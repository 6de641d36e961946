"""How robust is a plan? Re-solve it under perturbed demand and count how often each site is chosen.

Before a board commits money it asks: *would this site still be chosen if our
population or fault estimates were 20 % off?* :func:`robustness` answers by
drawing ``draws`` perturbed versions of the demand, re-solving the scenario's
model on each (in parallel on Dask, like a sweep), and reporting:

* for each site, how often it is chosen (its **selection frequency**), beside
  whether the unperturbed plan chooses it;
* for each KPI, its spread over the draws (5th, 50th and 95th percentiles).

The perturbation is multiplicative and independent per demand point and per
component: each point's population (and, with it, its residents 65+), its
residential density index and its fault intensity is multiplied by its own
random factor with mean 1 and standard deviation equal to the component's
relative error:

* ``lognormal`` (default): ``exp(sigma z - sigma^2 / 2)``, ``z`` standard normal,
  ``sigma^2 = log(1 + e^2)``; always positive, right-skewed like count errors.
* ``uniform``: ``1 + e * sqrt(3) * u``, ``u`` uniform on [-1, 1] (needs ``e < 1/sqrt(3)``
  so that every factor stays positive).

The weights are then re-blended (:func:`planner.inputs.demand.reweight_demand`), the
KPIs measured against the perturbed population. Fault hotspots, zones, sites
and travel times stay as loaded. Draw ``k`` uses its own random stream spawned
from ``seed`` (``numpy.random.SeedSequence(seed).spawn``), so results do not
depend on how the draws are spread over workers.
"""

from __future__ import annotations

import json
import math
import time
import typing
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.inputs.demand import reweight_demand
from planner.runs.config import ScenarioConfig
from planner.runs.parallel import ProgressCallback, Task, run_tasks
from planner.runs.results import RobustnessResult, json_records
from planner.sanitize import write_csv

if typing.TYPE_CHECKING:
    import geopandas as gpd

    from planner.optimize import Solution
    from planner.runs.results import PlanInputs

__all__ = [
    "COMPONENTS",
    "perturb_demand",
    "perturbation_factors",
    "robustness",
    "write_robustness",
]

#: The demand components that can be perturbed, and the demand columns each scales.
COMPONENTS: dict[str, tuple[str, ...]] = {
    "population": ("population", "pop_65plus"),
    "residential": ("residential_density",),
    "faults": ("fault_intensity",),
}
Distribution = Literal["lognormal", "uniform"]
_DEFAULT_ERROR = 0.2


def _check_errors(relative_error: Mapping[str, float] | float | None) -> dict[str, float]:
    if relative_error is None:
        return dict.fromkeys(COMPONENTS, _DEFAULT_ERROR)
    if isinstance(relative_error, int | float):
        return dict.fromkeys(COMPONENTS, float(relative_error))
    unknown = sorted(set(relative_error) - set(COMPONENTS))
    if unknown:
        raise InputError(
            f"`relative_error` has unknown component(s) {unknown}; use {', '.join(COMPONENTS)}."
        )
    out = dict.fromkeys(COMPONENTS, 0.0)
    for key, value in relative_error.items():
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"`relative_error[{key!r}]` must be a number (0.2 = 20 %); got {value!r}."
            ) from None
        if not math.isfinite(v) or v < 0:
            raise InputError(f"`relative_error[{key!r}]` must be >= 0 (0.2 = 20 %); got {value!r}.")
        out[key] = v
    return out


def perturbation_factors(
    n_demand: int,
    relative_error: Mapping[str, float],
    *,
    rng: np.random.Generator,
    distribution: Distribution = "lognormal",
) -> dict[str, np.ndarray]:
    """Random multiplicative factors (mean 1, standard deviation = relative error) per component.

    Every component draws from ``rng`` in the fixed order of :data:`COMPONENTS`,
    also when its error is 0 (its factors are then exactly 1), so changing one
    component's error leaves the others' factors unchanged.
    """
    out: dict[str, np.ndarray] = {}
    for name in COMPONENTS:
        e = float(relative_error.get(name, 0.0))
        if distribution == "lognormal":
            z = rng.standard_normal(n_demand)
            sigma = math.sqrt(math.log1p(e * e))
            out[name] = np.exp(sigma * z - 0.5 * sigma * sigma)
        elif distribution == "uniform":
            u = rng.uniform(-1.0, 1.0, n_demand)
            out[name] = 1.0 + e * math.sqrt(3.0) * u
        else:
            raise InputError(
                f"`distribution` = {distribution!r} is unknown; use 'lognormal' or 'uniform'."
            )
    return out


def perturb_demand(
    demand: gpd.GeoDataFrame,
    config: ScenarioConfig,
    relative_error: Mapping[str, float],
    *,
    rng: np.random.Generator,
    distribution: Distribution = "lognormal",
) -> gpd.GeoDataFrame:
    """A copy of ``demand`` with perturbed components and re-blended weights (``config.demand``)."""
    factors = perturbation_factors(len(demand), relative_error, rng=rng, distribution=distribution)
    out = demand.copy()
    for name, columns in COMPONENTS.items():
        for col in columns:
            if col in out:
                out[col] = out[col].to_numpy(dtype=np.float64) * factors[name]
    d = config.demand
    return reweight_demand(
        out, {"population": d.population, "residential": d.residential, "faults": d.faults}
    )


def _draw(
    inputs: PlanInputs,
    config: ScenarioConfig,
    seed: np.random.SeedSequence | None,
    relative_error: dict[str, float],
    distribution: Distribution,
) -> dict[str, Any]:
    """One draw (runs on a worker): perturb, solve, measure; ``seed=None`` is the unperturbed plan."""
    from planner.runs.pipeline import plan
    from planner.runs.reblend import inputs_for

    ready = inputs_for(inputs, config)
    if seed is not None:
        demand = perturb_demand(
            ready.demand,
            config,
            relative_error,
            rng=np.random.default_rng(seed),
            distribution=distribution,
        )
        ready = replace(ready, demand=demand)
    _, solution = plan(ready, config)
    return _outcome(ready, config, solution)


def _outcome(inputs: PlanInputs, config: ScenarioConfig, solution: Solution) -> dict[str, Any]:
    from planner.runs.pipeline import measure

    summary: dict[str, Any] = {}
    if solution.has_plan:
        kpis, _ = measure(inputs, solution, config)
        summary = kpis.summary()
    return {
        "status": solution.status.value,
        "objective": float(solution.objective) if np.isfinite(solution.objective) else math.nan,
        "gap": math.nan if solution.gap is None else float(solution.gap),
        "open_sites": solution.open_sites.tolist() if solution.has_plan else [],
        "summary": summary,
        "solve_s": float(solution.runtime_s),
    }


def robustness(
    inputs: PlanInputs,
    config: ScenarioConfig | None = None,
    *,
    relative_error: Mapping[str, float] | float | None = None,
    draws: int = 50,
    seed: int = 0,
    distribution: Distribution = "lognormal",
    parallel: bool = True,
    scheduler: str | Any | None = None,
    n_workers: int | None = None,
    progress: ProgressCallback | None = None,
    base_solution: Solution | None = None,
) -> RobustnessResult:
    """Re-solve a scenario under ``draws`` random perturbations of its demand.

    Parameters
    ----------
    inputs
        Loaded inputs (:func:`planner.runs.pipeline.load_inputs`).
    config
        The scenario to solve (default ``inputs.config``); must share the data
        settings of ``inputs``.
    relative_error
        Relative error of each component, e.g. ``{"population": 0.2,
        "residential": 0.2, "faults": 0.3}`` (0.2 = 20 %); a component left out
        is not perturbed; one number applies to all three. Default 0.2 each.
    draws
        Number of perturbed draws (each is one solve).
    seed
        Seed of the random draws: the same seed gives the same result.
    distribution
        ``"lognormal"`` or ``"uniform"`` factors (see the module docstring).
    parallel, scheduler, n_workers, progress
        As for :func:`planner.runs.sweep.sweep`.
    base_solution
        The unperturbed plan, when already solved (otherwise it is solved too).

    Returns
    -------
    RobustnessResult
    """
    from planner.runs.options import solve_options
    from planner.runs.pipeline import build_problem

    start = time.perf_counter()
    cfg = config or inputs.config
    errors = _check_errors(relative_error)
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise InputError(f"`draws` must be a whole number >= 1; got {draws!r}.")
    if distribution not in ("lognormal", "uniform"):
        raise InputError(
            f"`distribution` = {distribution!r} is unknown; use 'lognormal' or 'uniform'."
        )
    if distribution == "uniform":
        too_big = {k: v for k, v in errors.items() if v * math.sqrt(3.0) >= 1.0}
        if too_big:
            raise InputError(
                f"relative error(s) {too_big} are too large for uniform noise (a factor would reach 0); "
                "use at most 0.57 or distribution='lognormal'."
            )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"`seed` must be a whole number >= 0; got {seed!r}.")
    from planner.runs.reblend import inputs_for

    ready = inputs_for(inputs, cfg)
    build_problem(ready, cfg)
    solve_options(ready, cfg)  # raise a bad setting before any solve

    # Draw k always uses the k-th child of the seed, whether or not the base plan is solved here.
    seeds: list[np.random.SeedSequence | None] = list(
        np.random.SeedSequence(int(seed)).spawn(int(draws))
    )
    if base_solution is None:
        seeds.insert(0, None)  # the unperturbed plan
    tasks = [Task("inputs", (cfg, s, errors, distribution)) for s in seeds]
    results, info = run_tasks(
        _draw,
        {"inputs": inputs},
        tasks,
        parallel=parallel,
        scheduler=scheduler,
        n_workers=n_workers,
        progress=progress,
    )
    if base_solution is None:
        base, rest = results[0], results[1:]
    else:
        base, rest = _outcome(ready, cfg, base_solution), results
    return _aggregate(
        inputs,
        base,
        rest,
        errors=errors,
        distribution=distribution,
        seed=int(seed),
        scheduler=info.scheduler,
        n_workers=info.n_workers,
        wall_s=time.perf_counter() - start,
    )


def _aggregate(
    inputs: PlanInputs,
    base: dict[str, Any],
    rest: list[dict[str, Any]],
    *,
    errors: dict[str, float],
    distribution: str,
    seed: int,
    scheduler: str,
    n_workers: int,
    wall_s: float,
) -> RobustnessResult:
    sites = inputs.sites
    n_sites = len(sites)
    site_ids = sites["site_id"].astype(str).to_numpy()
    with_plan = [r for r in rest if r["status"] in ("optimal", "feasible")]
    counts = np.zeros(n_sites, dtype=np.int64)
    for r in with_plan:
        counts[np.asarray(r["open_sites"], dtype=np.int64)] += 1
    in_base = np.zeros(n_sites, dtype=bool)
    in_base[np.asarray(base["open_sites"], dtype=np.int64)] = True
    frequency = counts / len(with_plan) if with_plan else np.full(n_sites, np.nan)
    site_frequency = pd.DataFrame(
        {
            "site_index": np.arange(n_sites),
            "site_id": site_ids,
            "name_zh": sites["name_zh"].to_numpy(),
            "name_en": sites["name_en"].to_numpy(),
            "category": sites["category"].to_numpy(),
            "existing": sites["existing"].to_numpy(dtype=bool),
            "keep": sites["keep"].to_numpy(dtype=bool),
            "lon": sites.geometry.x.to_numpy(),
            "lat": sites.geometry.y.to_numpy(),
            "in_base_plan": in_base,
            "times_chosen": counts,
            "frequency": frequency,
        }
    )

    rows = []
    for k, r in enumerate(rest, 1):
        row: dict[str, Any] = {
            "draw": k,
            "status": r["status"],
            "objective": r["objective"],
            "gap": r["gap"],
            "solve_s": r["solve_s"],
            "open_site_ids": ";".join(site_ids[np.asarray(r["open_sites"], dtype=np.int64)]),
        }
        row.update({key: math.nan if v is None else float(v) for key, v in r["summary"].items()})
        rows.append(row)
    draws = pd.DataFrame(rows)

    kpi_names = ["objective", *base["summary"].keys()]
    base_values = {"objective": base["objective"], **base["summary"]}
    spread_rows = {}
    for name in kpi_names:
        values = (
            draws.loc[draws["status"].isin(["optimal", "feasible"]), name].to_numpy(dtype=float)
            if name in draws
            else np.empty(0)
        )
        values = values[np.isfinite(values)]
        b = base_values.get(name)
        spread_rows[name] = {
            "base": math.nan if b is None else float(b),
            "mean": float(values.mean()) if values.size else math.nan,
            "std": float(values.std(ddof=1)) if values.size > 1 else math.nan,
            "p5": float(np.quantile(values, 0.05)) if values.size else math.nan,
            "p50": float(np.quantile(values, 0.5)) if values.size else math.nan,
            "p95": float(np.quantile(values, 0.95)) if values.size else math.nan,
            "min": float(values.min()) if values.size else math.nan,
            "max": float(values.max()) if values.size else math.nan,
        }
    kpi_spread = pd.DataFrame.from_dict(spread_rows, orient="index")
    return RobustnessResult(
        site_frequency=site_frequency,
        kpi_spread=kpi_spread,
        draws=draws,
        base_open_sites=np.flatnonzero(in_base),
        relative_error=errors,
        distribution=distribution,
        n_draws=len(rest),
        seed=seed,
        scheduler=scheduler,
        n_workers=n_workers,
        wall_s=wall_s,
    )


def write_robustness(result: RobustnessResult, folder: str | Path) -> dict[str, Path]:
    """Write the robustness tables into an existing folder.

    Files: ``robustness_sites.csv`` (every site chosen at least once or in the
    base plan, most frequent first), ``robustness_kpis.csv``,
    ``robustness_draws.csv``, ``robustness.json`` and ``site_frequency.geojson``
    (the same sites as points with their frequency, for a map layer).
    """
    folder = Path(folder)
    f = result.site_frequency
    shown = f[(f["times_chosen"] > 0) | f["in_base_plan"]].sort_values(
        ["frequency", "site_index"], ascending=[False, True]
    )
    out = {
        "sites_csv": folder / "robustness_sites.csv",
        "kpis_csv": folder / "robustness_kpis.csv",
        "draws_csv": folder / "robustness_draws.csv",
        "json": folder / "robustness.json",
        "geojson": folder / "site_frequency.geojson",
    }
    # UTF-8 with a byte-order mark so that Excel on Windows reads the Chinese names.
    write_csv(shown, out["sites_csv"])
    write_csv(result.kpi_spread.rename_axis("kpi"), out["kpis_csv"], index=True)
    write_csv(result.draws, out["draws_csv"])
    out["json"].write_text(
        json.dumps(result.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]},
            "properties": {k: v for k, v in rec.items() if k not in ("lon", "lat")},
        }
        for rec in json_records(shown)
    ]
    out["geojson"].write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return out
