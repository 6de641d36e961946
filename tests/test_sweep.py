"""Sweeps: parameters, overrides, shared inputs, Dask against serial, atomic outputs, bad input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scenario_fixtures import write_tiny_scenario

from planner.errors import ConfigError, InputError, SettingWarning
from planner.inputs.demand import reweight_demand
from planner.present.charts import sweep_svg
from planner.runs.config import load_scenario
from planner.runs.grid import (
    apply_overrides,
    check_parameter,
    load_sweep_scenario,
    parse_param,
    parse_values,
    sweep_grid,
)
from planner.runs.pipeline import load_inputs, run_scenario
from planner.runs.results import PlanInputs
from planner.runs.sweep import sweep


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_scenario(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def inputs(scenario: Path) -> PlanInputs:
    return load_inputs(load_scenario(scenario))


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # not 8787: the machine is shared
    ) as c:
        yield c


# ------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("3:6", [3, 4, 5, 6]),
        ("3:9:3", [3, 6, 9]),
        ("0:1:0.25", [0.0, 0.25, 0.5, 0.75, 1.0]),
        ("0,0.2,0.4", [0, 0.2, 0.4]),
        ("keep,may_close", ["keep", "may_close"]),
        ("pop:v2", ["pop:v2"]),  # a range holds numbers; anything else is text
        ("7", [7]),
        ("[[15, 30], [10, 20]]", [[15, 30], [10, 20]]),
        ([1, 2], [1, 2]),
    ],
)
def test_parse_values(spec: object, expected: list[object]) -> None:
    assert parse_values(spec, key="k") == expected


@pytest.mark.parametrize("spec", ["5:3", "3:5:0", "", "1:100000"])
def test_bad_values_name_the_parameter(spec: str) -> None:
    with pytest.raises(ConfigError, match="`model.p`"):
        parse_values(spec, key="model.p")


def test_parse_param() -> None:
    assert parse_param("model.p=3:5") == ("model.p", [3, 4, 5])
    with pytest.raises(ConfigError, match="SETTING=VALUES"):
        parse_param("model.p")


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("model.q", r"`model\.q` is not a scenario setting"),
        ("modle.p", r"`modle` is not a scenario setting"),
        ("model", r"whole table; sweep one of its settings, e\.g\. `model\.name`"),
        ("model.p.x", r"`model\.p` is a single setting"),
        ("base_dir", "not a scenario setting"),
    ],
)
def test_unknown_parameter_is_named(key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_parameter(key)


def test_known_parameters() -> None:
    for key in (
        "model.p",
        "demand.faults",
        "model.radius",
        "standards.response_minutes_urban",
        "data.existing.policy",
        "solver.seed",
    ):
        check_parameter(key)


def test_grid_is_every_combination() -> None:
    grid = sweep_grid({"model.p": [3, 4], "demand.faults": [0.0, 0.5, 1.0]})
    assert len(grid) == 6
    assert grid[0] == {"model.p": 3, "demand.faults": 0.0}
    assert grid[-1] == {"model.p": 4, "demand.faults": 1.0}


def test_apply_overrides(scenario: Path) -> None:
    config = load_scenario(scenario)
    changed = apply_overrides(config, {"model.p": 6, "data.existing.policy": "may_close"})
    assert changed.model.p == 6
    assert changed.data.existing is not None
    assert changed.data.existing.policy == "may_close"
    assert config.model.p == 4  # the original is untouched
    assert changed.base_dir == config.base_dir
    assert changed.resolve(changed.data.population.path) == config.resolve(
        config.data.population.path
    )


def test_override_of_wrong_type_names_setting_and_value(scenario: Path) -> None:
    config = load_scenario(scenario)
    with pytest.raises(ConfigError, match=r"model\.p.*'many'"):
        apply_overrides(config, {"model.p": "many"})
    with pytest.raises(ConfigError, match=r"data\.existing\.policy"):
        apply_overrides(config, {"data.existing.policy": "demolish"})


def test_override_needs_the_table(scenario: Path) -> None:
    config = apply_overrides(load_scenario(scenario), {})
    without = config.model_copy(update={"data": config.data.model_copy(update={"faults": None})})
    with pytest.raises(ConfigError, match=r"needs a \[data\.faults\] table"):
        apply_overrides(without, {"data.faults.timestamp_col": "t"})


# ------------------------------------------------------------------ demand weights


def test_reweight_reproduces_build_demand(scenario: Path, inputs: PlanInputs) -> None:
    """Re-blending the stored components gives what reading the layers again gives."""
    other = apply_overrides(
        load_scenario(scenario),
        {"demand.population": 0.2, "demand.residential": 0.3, "demand.faults": 0.5},
    )
    fresh = load_inputs(other).demand
    reblended = reweight_demand(
        inputs.demand, {"population": 0.2, "residential": 0.3, "faults": 0.5}
    )
    for col in ("weight_population", "weight_residential", "weight_faults", "weight"):
        np.testing.assert_allclose(reblended[col], fresh[col], rtol=1e-12)
    assert reblended["weight"].sum() == pytest.approx(inputs.demand["population"].sum())
    # the input table is not modified
    np.testing.assert_array_equal(
        inputs.demand["weight"], load_inputs(inputs.config).demand["weight"]
    )


def test_reweight_rejects_unknown_component(inputs: PlanInputs) -> None:
    with pytest.raises(InputError, match="fault"):
        reweight_demand(inputs.demand, {"population": 1.0, "fault": 0.5})


# ------------------------------------------------------------------ sweeps


def test_serial_sweep_table(scenario: Path, inputs: PlanInputs) -> None:
    result = sweep(scenario, ["model.p=2:5", "demand.faults=0,0.6"], parallel=False, inputs=inputs)
    table = result.table
    assert len(table) == 8
    assert result.n_input_loads == 0  # model and weight settings reuse the given inputs
    assert result.scheduler == "serial"
    assert list(table["model.p"]) == [2, 2, 3, 3, 4, 4, 5, 5]
    assert set(table["status"]) == {"optimal"}
    assert (table["n_open"] == table["model.p"]).all()
    for _, group in table.groupby("demand.faults"):
        objective = group.sort_values("model.p")["objective"].to_numpy()
        assert (np.diff(objective) <= 1e-6 * objective[:-1]).all()  # never rises with p
    # the existing centres (policy keep) are open in every plan
    assert all({"E1", "E2"} <= set(ids.split(";")) for ids in table["open_site_ids"])
    assert {"mean_minutes", "within_15min_share", "gap", "solve_s"} <= set(table.columns)
    assert len(result.solutions) == 8
    assert result.out_dir is None
    assert result.outputs == {}


def test_weight_point_equals_a_fresh_run(scenario: Path, inputs: PlanInputs) -> None:
    """A point that changes demand weights solves like the scenario file with those weights."""
    result = sweep(
        scenario, {"demand.faults": [0.9], "model.p": [3]}, parallel=False, inputs=inputs
    )
    fresh = run_scenario(
        apply_overrides(load_scenario(scenario), {"demand.faults": 0.9, "model.p": 3})
    )
    assert result.table["objective"].iloc[0] == pytest.approx(fresh.solution.objective, rel=1e-9)
    assert result.table["open_site_ids"].iloc[0] == ";".join(fresh.chosen_sites["site_id"])


def test_data_settings_load_inputs_once_each(scenario: Path) -> None:
    result = sweep(
        scenario,
        {"data.existing.policy": ["keep", "may_close"], "model.p": [2, 3]},
        parallel=False,
    )
    assert result.n_input_loads == 2
    assert len(result.table) == 4
    may_close = result.table[result.table["data.existing.policy"] == "may_close"]
    keep = result.table[result.table["data.existing.policy"] == "keep"]
    # letting centres close can only help the objective
    assert (may_close["objective"].to_numpy() <= keep["objective"].to_numpy() + 1e-6).all()


def test_sweep_table_in_the_scenario_file(tmp_path: Path) -> None:
    path = write_tiny_scenario(
        tmp_path, extra='\n[sweep]\n"model.p" = "2:3"\n"solver.seed" = [0, 1]\n'
    )
    config, params = load_sweep_scenario(path)
    assert params == {"model.p": [2, 3], "solver.seed": [0, 1]}
    assert config.model.p == 4
    result = sweep(path, parallel=False)
    assert len(result.table) == 4


def test_nested_sweep_table(tmp_path: Path) -> None:
    path = write_tiny_scenario(tmp_path, extra="\n[sweep.model]\np = [2, 3]\n")
    assert load_sweep_scenario(path)[1] == {"model.p": [2, 3]}


def test_unknown_key_in_sweep_table_names_file_and_key(tmp_path: Path) -> None:
    path = write_tiny_scenario(tmp_path, extra='\n[sweep]\n"model.pp" = [2, 3]\n')
    with pytest.raises(ConfigError, match=r"tiny\.toml: \[sweep\].*`model\.pp`"):
        load_sweep_scenario(path)


def test_nothing_to_sweep(scenario: Path) -> None:
    with pytest.raises(ConfigError, match="nothing to sweep"):
        sweep(scenario, parallel=False)


def test_sweep_writes_its_folder(scenario: Path, inputs: PlanInputs, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = sweep(
        scenario, ["model.p=2:3"], out_dir=out, parallel=False, inputs=inputs, run_folders=True
    )
    assert result.out_dir == out
    for name in ("sweep.csv", "sweep.parquet", "tradeoff.svg", "sweep.json"):
        assert (out / name).is_file()
    csv = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    parquet = pd.read_parquet(out / "sweep.parquet")
    assert list(csv["model.p"]) == [2, 3] == list(parquet["model.p"])
    np.testing.assert_allclose(csv["objective"], result.table["objective"])
    for run_dir in csv["run_dir"]:
        folder = out / run_dir
        assert (folder / "kpis.json").is_file()
        assert (folder / "scenario.lock.toml").is_file()
    doc = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert doc["params"] == {"model.p": [2, 3]}
    assert [r["run"] for r in doc["rows"]] == list(csv["run"])
    # no temporary folders left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep"]


def test_existing_folder_needs_force(scenario: Path, inputs: PlanInputs, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="already exists.*--force"):
        sweep(scenario, ["model.p=2"], out_dir=out, parallel=False, inputs=inputs)
    assert (out / "keep.txt").read_text() == "mine"
    # --force replaces only a folder the planner wrote, never the user's own.
    with pytest.raises(InputError, match="not written by the planner"):
        sweep(scenario, ["model.p=2"], out_dir=out, force=True, parallel=False, inputs=inputs)
    assert (out / "keep.txt").read_text() == "mine"
    ours = tmp_path / "ours"
    for force in (False, True):
        sweep(
            scenario,
            ["model.p=2"],
            out_dir=ours,
            force=force,
            parallel=False,
            inputs=inputs,
            run_folders=False,
        )
    assert (ours / "sweep.csv").is_file()
    assert not (ours / "runs").exists()


def test_bad_point_is_found_before_anything_is_written(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    with pytest.raises(ConfigError, match=r"sweep point model\.p=99.*more than the 14 sites"):
        sweep(scenario, ["model.p=3,99"], out_dir=out, parallel=False)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_run_leaves_nothing(
    scenario: Path, inputs: PlanInputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.runs.pipeline

    calls = {"n": 0}
    real = planner.runs.pipeline.measure

    def breaks_on_second(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(planner.runs.pipeline, "measure", breaks_on_second)
    with pytest.raises(RuntimeError, match="disk full"):
        sweep(scenario, ["model.p=2:4"], out_dir=tmp_path / "s", parallel=False, inputs=inputs)
    assert list(tmp_path.iterdir()) == []


def test_tradeoff_chart_is_svg(scenario: Path, inputs: PlanInputs) -> None:
    result = sweep(scenario, ["model.p=2:4", "demand.faults=0,0.5"], parallel=False, inputs=inputs)
    svg = sweep_svg(result.table, list(result.params), language=inputs.config.outputs.language)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    lines = [
        path
        for g in root.iter(f"{ns}g")
        if "mark-line" in (g.get("class") or "")
        for path in g.iter(f"{ns}path")
    ]
    assert len(lines) == 2 * 2  # two faults settings x two panels (mean travel, coverage)
    texts = [el.text or "" for el in root.iter(f"{ns}text")]
    assert "demand.faults" not in svg
    assert "faults=0.5" in texts  # the legend names each line


def test_sweep_chart_text_is_data_not_markup() -> None:
    names = ["<script>alert(1)</script>", "{{7*7}} {# x", "=1+1", "武汉站"]
    table = pd.DataFrame(
        {"model.p": [2, 3, 4, 5], "model.name": names, "mean_minutes": [9.0, 8.0, 7.5, 7.0]}
    )
    svg = sweep_svg(table, ["model.p", "model.name"], language="en")
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    texts = [el.text or "" for el in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    for name in names[1:]:  # shown as written, never evaluated
        assert f"name={name}" in texts
    assert "49" not in texts


# ------------------------------------------------------------------ Dask


@pytest.mark.slow
def test_dask_sweep_matches_serial(
    scenario: Path, inputs: PlanInputs, cluster: object, tmp_path: Path
) -> None:
    params = ["model.p=2:4", "demand.faults=0,0.6"]
    serial = sweep(scenario, params, parallel=False, inputs=inputs)
    out = tmp_path / "sweep"
    dask = sweep(
        scenario,
        params,
        scheduler=cluster.scheduler_address,  # type: ignore[attr-defined]
        inputs=inputs,
        out_dir=out,
    )
    assert dask.scheduler == cluster.scheduler_address  # type: ignore[attr-defined]
    assert dask.n_workers == 2
    np.testing.assert_allclose(dask.table["objective"], serial.table["objective"], rtol=1e-9)
    assert list(dask.table["open_site_ids"]) == list(serial.table["open_site_ids"])
    # the workers wrote the run folders into the sweep's folder
    assert len(list((out / "runs").iterdir())) == 6
    assert all((out / d / "scenario.lock.toml").is_file() for d in dask.table["run_dir"])


@pytest.mark.slow
def test_default_local_cluster(scenario: Path, inputs: PlanInputs) -> None:
    result = sweep(scenario, ["model.p=2:3"], n_workers=2, inputs=inputs)
    assert result.scheduler == "local"
    assert result.n_workers == 2
    assert list(result.table["status"]) == ["optimal", "optimal"]


def test_unreachable_scheduler_is_named(scenario: Path, inputs: PlanInputs, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    with pytest.raises(
        InputError, match=r"cannot reach the Dask scheduler at --scheduler 'tcp://127\.0\.0\.1:9'"
    ):
        sweep(scenario, ["model.p=2"], scheduler="tcp://127.0.0.1:9", inputs=inputs, out_dir=out)
    assert list(tmp_path.iterdir()) == []


def test_run_folders_the_driver_cannot_see(
    scenario: Path, inputs: PlanInputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers on other machines without a shared disk: a clear error, nothing half-written."""
    import planner.runs.sweep

    real = planner.runs.sweep._solve_point

    def elsewhere(shared: PlanInputs, config: object, run_dir: str | None) -> object:
        return real(shared, config, None)  # type: ignore[arg-type]  # writes on "another machine"

    monkeypatch.setattr(planner.runs.sweep, "_solve_point", elsewhere)
    out = tmp_path / "sweep"
    with pytest.raises(InputError, match="disk that every worker shares, or add --no-runs"):
        sweep(scenario, ["model.p=2:3"], out_dir=out, parallel=False, inputs=inputs)
    assert list(tmp_path.iterdir()) == []


def test_a_point_without_a_plan_is_a_row(
    scenario: Path, inputs: PlanInputs, tmp_path: Path
) -> None:
    """An infeasible point is reported in the table (and its folder holds the diagnosis)."""
    out = tmp_path / "sweep"
    with pytest.warns(SettingWarning, match="model.p = 4 is not used by model 'lscp'"):
        result = sweep(
            scenario,
            {"model.name": ["lscp"], "model.radius": [0.01, 5.0]},
            out_dir=out,
            parallel=False,
            inputs=inputs,
        )
    table = result.table
    assert list(table["status"]) == ["infeasible", "optimal"]
    assert np.isnan(table["objective"].iloc[0])
    assert np.isnan(table["mean_minutes"].iloc[0])
    assert table["open_site_ids"].iloc[0] == ""
    assert "have no candidate site within 0.01 min" in table["why_no_plan"].iloc[0]
    assert table["why_no_plan"].iloc[1] == ""
    assert (out / table["run_dir"].iloc[0] / "diagnosis.json").is_file()


@pytest.mark.slow
def test_an_open_client_is_used_and_left_open(
    scenario: Path, inputs: PlanInputs, cluster: object
) -> None:
    from dask.distributed import Client

    with Client(cluster, set_as_default=False) as client:
        result = sweep(scenario, ["model.p=2:3"], scheduler=client, inputs=inputs)
        assert result.n_workers == 2
        assert list(result.table["model.p"]) == [2, 3]
        assert client.status == "running"
