"""Robustness: perturbation factors, site selection frequency, KPI spread, seeds, Dask, files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scenario_fixtures import write_tiny_scenario

from planner.errors import InputError
from planner.runs.config import load_scenario
from planner.runs.pipeline import load_inputs, run_scenario
from planner.runs.results import PlanInputs
from planner.runs.robustness import (
    COMPONENTS,
    perturb_demand,
    perturbation_factors,
    robustness,
    write_robustness,
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> PlanInputs:
    return load_inputs(load_scenario(write_tiny_scenario(tmp_path_factory.mktemp("tiny"))))


# ------------------------------------------------------------------ the noise


@pytest.mark.parametrize("distribution", ["lognormal", "uniform"])
def test_factors_have_mean_one_and_the_relative_error_as_spread(distribution: str) -> None:
    errors = {"population": 0.1, "residential": 0.3, "faults": 0.0}
    f = perturbation_factors(
        200_000,
        errors,
        rng=np.random.default_rng(1),
        distribution=distribution,  # type: ignore[arg-type]
    )
    for name, e in errors.items():
        assert f[name].mean() == pytest.approx(1.0, abs=0.003)
        assert f[name].std() == pytest.approx(e, abs=0.003)
        assert (f[name] > 0).all()
    np.testing.assert_array_equal(f["faults"], 1.0)


def test_one_components_error_leaves_the_others_draws_alone() -> None:
    a = perturbation_factors(50, {"population": 0.2, "faults": 0.2}, rng=np.random.default_rng(3))
    b = perturbation_factors(50, {"population": 0.5, "faults": 0.2}, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a["faults"], b["faults"])
    assert not np.allclose(a["population"], b["population"])


def test_perturbed_demand_keeps_its_shape(inputs: PlanInputs) -> None:
    demand = inputs.demand
    out = perturb_demand(
        demand,
        inputs.config,
        {"population": 0.2, "residential": 0.0, "faults": 0.0},
        rng=np.random.default_rng(0),
    )
    ratio = out["population"].to_numpy() / demand["population"].to_numpy()
    np.testing.assert_allclose(out["pop_65plus"], demand["pop_65plus"] * ratio)  # same factor
    np.testing.assert_array_equal(out["residential_density"], demand["residential_density"])
    np.testing.assert_array_equal(out["fault_intensity"], demand["fault_intensity"])
    assert out["weight"].sum() == pytest.approx(out["population"].sum())  # population-equivalent
    assert not np.allclose(out["weight"], demand["weight"])
    assert out.crs == demand.crs
    assert len(out) == len(demand)


# ------------------------------------------------------------------ robustness runs


def test_no_error_means_every_draw_is_the_plan(inputs: PlanInputs) -> None:
    result = robustness(inputs, relative_error=0.0, draws=3, parallel=False)
    base = run_scenario(inputs.config, inputs=inputs)
    f = result.site_frequency
    assert list(f["site_id"]) == list(inputs.sites["site_id"])
    np.testing.assert_array_equal(result.base_open_sites, base.solution.open_sites)
    np.testing.assert_array_equal(
        f["in_base_plan"], np.isin(np.arange(len(f)), base.solution.open_sites)
    )
    np.testing.assert_array_equal(f["frequency"], f["in_base_plan"].astype(float))
    spread = result.kpi_spread
    for key in ("objective", "mean_minutes", "within_15min_share"):
        row = spread.loc[key]
        assert row["p5"] == pytest.approx(row["base"])
        assert row["p95"] == pytest.approx(row["base"])
    assert result.n_draws == 3
    assert result.n_with_plan == 3


def test_frequencies_and_spread(inputs: PlanInputs) -> None:
    result = robustness(
        inputs, relative_error={"population": 0.5, "faults": 0.5}, draws=12, seed=4, parallel=False
    )
    f = result.site_frequency
    assert ((f["frequency"] >= 0) & (f["frequency"] <= 1)).all()
    np.testing.assert_array_equal(f["times_chosen"], np.round(f["frequency"] * 12))
    # every draw opens exactly p sites; kept centres are in every plan
    assert f["times_chosen"].sum() == 12 * inputs.config.model.p
    assert (f.loc[f["keep"], "frequency"] == 1.0).all()
    assert len(result.draws) == 12
    assert all(
        len(ids.split(";")) == inputs.config.model.p for ids in result.draws["open_site_ids"]
    )
    spread = result.kpi_spread
    assert {"base", "mean", "std", "p5", "p50", "p95", "min", "max"} <= set(spread.columns)
    ok = spread.dropna(subset=["p5"])
    assert (ok["min"] <= ok["p5"] + 1e-12).all()
    assert (ok["p5"] <= ok["p50"] + 1e-12).all()
    assert (ok["p50"] <= ok["p95"] + 1e-12).all()
    assert (ok["p95"] <= ok["max"] + 1e-12).all()
    assert spread.loc["objective", "std"] > 0
    assert set(result.frequency_by_site_id()) == set(f.loc[f["times_chosen"] > 0, "site_id"])
    robust = result.robust_sites(0.99)
    assert set(robust["site_id"]) <= set(f.loc[f["in_base_plan"], "site_id"])
    json.dumps(result.to_dict())  # serialisable


def test_same_seed_same_answer(inputs: PlanInputs) -> None:
    a = robustness(inputs, draws=4, seed=7, parallel=False)
    b = robustness(inputs, draws=4, seed=7, parallel=False)
    c = robustness(inputs, draws=4, seed=8, parallel=False)
    pd.testing.assert_frame_equal(a.draws, b.draws.assign(solve_s=a.draws["solve_s"]))
    assert not np.allclose(a.draws["objective"], c.draws["objective"])


def test_given_base_solution_is_used(inputs: PlanInputs) -> None:
    base = run_scenario(inputs.config, inputs=inputs)
    a = robustness(inputs, draws=3, seed=2, parallel=False)
    b = robustness(inputs, draws=3, seed=2, parallel=False, base_solution=base.solution)
    pd.testing.assert_frame_equal(a.site_frequency, b.site_frequency)
    pd.testing.assert_frame_equal(a.kpi_spread, b.kpi_spread)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"relative_error": {"population": 0.2, "pop": 0.1}}, r"unknown component\(s\) \['pop'\]"),
        ({"relative_error": {"faults": -0.1}}, r"relative_error\['faults'\]` must be >= 0"),
        ({"relative_error": {"faults": "lots"}}, "must be a number"),
        ({"draws": 0}, "`draws` must be a whole number >= 1"),
        ({"seed": -1}, "`seed` must be a whole number >= 0"),
        ({"distribution": "normal"}, "`distribution` = 'normal' is unknown"),
        ({"distribution": "uniform", "relative_error": 0.8}, "too large for uniform noise"),
    ],
)
def test_bad_settings_are_named(
    inputs: PlanInputs, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        robustness(inputs, parallel=False, **kwargs)  # type: ignore[arg-type]


def test_written_files(inputs: PlanInputs, tmp_path: Path) -> None:
    result = robustness(inputs, draws=5, seed=1, parallel=False)
    files = write_robustness(result, tmp_path)
    assert {p.name for p in files.values()} == {
        "robustness_sites.csv",
        "robustness_kpis.csv",
        "robustness_draws.csv",
        "robustness.json",
        "site_frequency.geojson",
    }
    sites = pd.read_csv(files["sites_csv"], encoding="utf-8-sig")
    assert list(sites["frequency"]) == sorted(sites["frequency"], reverse=True)
    assert "营业厅一" in set(sites["name_zh"])
    geo = json.loads(files["geojson"].read_text(encoding="utf-8"))
    assert len(geo["features"]) == len(sites)
    lon, lat = geo["features"][0]["geometry"]["coordinates"]
    assert 114 < lon < 115
    assert 30 < lat < 31
    doc = json.loads(files["json"].read_text(encoding="utf-8"))
    assert doc["n_draws"] == 5
    assert doc["relative_error"] == dict.fromkeys(COMPONENTS, 0.2)
    assert not any(isinstance(v, float) and math.isnan(v) for v in doc["kpi_spread"][0].values())


@pytest.mark.slow
def test_dask_matches_serial(inputs: PlanInputs) -> None:
    serial = robustness(inputs, draws=4, seed=3, parallel=False)
    dask = robustness(inputs, draws=4, seed=3, n_workers=2)
    assert dask.scheduler == "local"
    assert dask.n_workers == 2
    pd.testing.assert_frame_equal(serial.site_frequency, dask.site_frequency)
    np.testing.assert_allclose(serial.draws["objective"], dask.draws["objective"], rtol=1e-12)
