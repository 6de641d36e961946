"""The whole pipeline on the real Wuhan demo: a proven-optimal plan, checked independently."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from planner.errors import InputError
from planner.optimize import Status, solve
from planner.runs.config import load_scenario
from planner.runs.options import solve_options
from planner.runs.pipeline import load_inputs, plan, run_scenario

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "scenarios" / "wuhan_demo.toml"


@pytest.fixture(scope="module")
def demo_config():  # type: ignore[no-untyped-def]
    cfg = load_scenario(DEMO)
    # Two points of the trade-off curve are enough here; the demo itself draws p = 8..20.
    return cfg.model_copy(update={"outputs": cfg.outputs.model_copy(update={"tradeoff_max_p": 13})})


@pytest.fixture(scope="module")
def demo_inputs(demo_config):  # type: ignore[no-untyped-def]
    return load_inputs(demo_config)


@pytest.fixture(scope="module")
def demo_plan(demo_inputs, demo_config):  # type: ignore[no-untyped-def]
    return plan(demo_inputs, demo_config)


def test_demo_inputs_are_the_documented_data(demo_inputs) -> None:  # type: ignore[no-untyped-def]
    d = demo_inputs.demand
    assert len(d) == 3102
    assert d["population"].sum() == pytest.approx(5_291_426, rel=1e-6)
    # Population-equivalent weights: the blend keeps the total population.
    assert d["weight"].sum() == pytest.approx(d["population"].sum(), rel=1e-9)
    assert demo_inputs.sites["existing"].sum() == 8
    assert set(demo_inputs.simulated_layers) == {"fault_records", "existing_centres"}
    assert "no road network" in demo_inputs.travel.note
    assert any("WorldPop" in a for a in demo_inputs.attribution)


def test_demo_plan_is_proven_optimal_and_keeps_existing(demo_plan, demo_inputs) -> None:  # type: ignore[no-untyped-def]
    _problem, solution = demo_plan
    assert solution.status is Status.OPTIMAL
    assert solution.gap == pytest.approx(0.0, abs=1e-6)
    assert solution.p == 12
    kept = np.flatnonzero(demo_inputs.sites["keep"].to_numpy())
    assert set(kept) <= set(solution.open_sites.tolist())


def test_demo_objective_recomputed_from_scratch(demo_plan) -> None:  # type: ignore[no-untyped-def]
    problem, solution = demo_plan
    cost = np.asarray(problem.cost)
    # Every customer goes to the nearest open hall: total weighted minutes.
    recomputed = float(problem.weight @ cost[:, solution.open_sites].min(axis=1))
    assert solution.objective == pytest.approx(recomputed, rel=1e-9)


@pytest.mark.slow
def test_demo_optimum_agrees_with_an_independent_solver(
    demo_plan, demo_inputs, demo_config
) -> None:  # type: ignore[no-untyped-def]
    problem, solution = demo_plan
    options = solve_options(demo_inputs, demo_config)
    options["options"] = replace(options["options"], solver="cbc", method="exact")
    other = solve(problem, **options)
    assert other.status is Status.OPTIMAL
    assert other.objective == pytest.approx(solution.objective, rel=1e-7)


@pytest.mark.slow  # over 10 s on a loaded 2-core machine
def test_demo_run_writes_every_output(tmp_path: Path, demo_config, demo_inputs) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    result = run_scenario(demo_config, out_dir=out, inputs=demo_inputs)
    names = {p.name for p in out.iterdir()}
    assert {
        "map.html",
        "report.html",
        "plan.gpkg",
        "kpis.json",
        "assignment.csv",
        "chosen_sites.geojson",
        "scenario.lock.toml",
    } <= names
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["solution"]["status"] == "optimal"
    assert kpis["plan"]["summary"]["mean_minutes"] < kpis["baseline"]["summary"]["mean_minutes"]
    assert [row["p"] for row in kpis["tradeoff"]] == [8, 9, 10, 11, 12, 13]
    lock = tomllib.loads((out / "scenario.lock.toml").read_text(encoding="utf-8"))
    assert lock["solution"]["status"] == "optimal"
    assert len(lock["inputs"]["population"]["sha256"]) == 64
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "unpkg.com" not in html
    assert "cdn.jsdelivr" not in html
    assert "模拟" in html  # simulated faults are flagged on the map
    assert result.outputs["map"] == out / "map.html"
    # Nothing left behind but the output folder itself.
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_existing_output_is_not_overwritten(tmp_path: Path, demo_config, demo_inputs) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="already exists; choose another `--out` or add `--force`"):
        run_scenario(demo_config, out_dir=out, inputs=demo_inputs)
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_failed_run_leaves_nothing(tmp_path: Path, demo_config, demo_inputs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import planner.present.maps

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    # The map is made after kpis.json, assignment.csv and plan.gpkg: fail there.
    monkeypatch.setattr(planner.present.maps, "map_html", boom)
    cfg = demo_config.model_copy(
        update={"outputs": demo_config.outputs.model_copy(update={"tradeoff_max_p": None})}
    )
    with pytest.raises(OSError, match="disk full"):
        run_scenario(cfg, out_dir=tmp_path / "run", inputs=demo_inputs)
    assert list(tmp_path.iterdir()) == []


def test_p_above_sites_is_a_clear_error(demo_config, demo_inputs) -> None:  # type: ignore[no-untyped-def]
    cfg = demo_config.model_copy(update={"model": demo_config.model.model_copy(update={"p": 500})})
    with pytest.raises(InputError, match=r"model\.p = 500 is more than the 209 sites"):
        plan(demo_inputs, cfg)
    cfg = demo_config.model_copy(update={"model": demo_config.model.model_copy(update={"p": 3})})
    with pytest.raises(InputError, match="fewer than the 8 existing centres that must stay open"):
        plan(demo_inputs, cfg)


def test_demo_inputs_are_not_modified(demo_inputs) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    from planner.files import file_sha256

    path = REPO / "data" / "geo" / "wuhan_demo.gpkg"
    before = file_sha256(path)
    load_inputs(load_scenario(DEMO))
    assert file_sha256(path) == before == hashlib.sha256(path.read_bytes()).hexdigest()
