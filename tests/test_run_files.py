"""One outputs builder: the app's downloads are the bytes ``planner run`` writes.

:func:`planner.runs.outputs.output_files` makes every file of a run; ``write_outputs``
writes them and the app's download buttons hand them out. These tests solve the tiny
scenario once, write its run folder, and compare each download with the written file.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from scenario_fixtures import write_tiny_scenario

from planner.app import downloads
from planner.app.run import AppRun
from planner.runs import outputs
from planner.runs.config import ScenarioConfig, load_scenario
from planner.runs.pipeline import run_scenario
from planner.runs.results import RunResult


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> ScenarioConfig:
    return load_scenario(write_tiny_scenario(tmp_path_factory.mktemp("tiny")))


@pytest.fixture(scope="module")
def result(config: ScenarioConfig) -> RunResult:
    return run_scenario(config)


def _downloads(run: AppRun, lang: str, basemap: str) -> dict[str, tuple[str, bytes]]:
    return {
        key: (name, make())
        for key, (name, _mime, make) in downloads.download_files(run, lang, basemap=basemap).items()
    }


def test_downloads_are_the_run_folders_files(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    curve = outputs.tradeoff(result, p_range=(2, 6))
    assert curve is not None
    # The run folder's report computes its curve; the app's is the one the planner asked
    # for. The same curve on both sides: the builder, not the curve, is under test.
    monkeypatch.setattr(outputs, "tradeoff", lambda *_a, **_k: curve)
    written = outputs.write_outputs(result, tmp_path)
    cfg = result.config
    run = AppRun(key="k", result=result, curve=curve)
    offered = _downloads(run, cfg.outputs.language, cfg.outputs.basemap)

    # every file of the run folder is offered, except the lock file (a write time)
    assert set(written) - {"lock"} <= set(offered)
    assert {"map", "report", "geopackage", "assignment", "chosen_sites", "kpis"} <= set(written)
    for key, path in written.items():
        if key == "lock":
            continue
        name, data = offered[key]
        assert name == path.name, key
        assert data == path.read_bytes(), f"{name}: the download differs from the run folder's file"
    # the curve is in both (the report's chart and kpis.json)
    assert b'"tradeoff": null' not in offered["kpis"][1]
    # the app's own extras
    assert offered["sites"][0] == "chosen_sites.csv"
    assert offered["bundle"][0] == "scenario_bundle.zip"


def test_the_same_run_gives_the_same_files_later(result: RunResult, tmp_path: Path) -> None:
    """folium names elements with random ids (the pages number them); the report and the
    GeoPackage carry the run's time, not the clock's: a run solved an hour ago gives the
    same files now and again, stamped an hour ago."""
    earlier = replace(result, solved_at=result.solved_at - timedelta(hours=1))
    first = outputs.output_files(earlier)
    second = outputs.output_files(earlier)
    for key in ("map", "report", "geopackage", "kpis"):
        assert first[key].make() == second[key].make(), key
    assert earlier.solved_at.strftime("%Y-%m-%d %H:%M UTC") in first["report"].make().decode()
    gpkg = tmp_path / "plan.gpkg"
    gpkg.write_bytes(first["geopackage"].make())
    with closing(sqlite3.connect(gpkg)) as db:
        changed = {row[0] for row in db.execute("SELECT last_change FROM gpkg_contents")}
    assert changed == {earlier.solved_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}


def test_downloads_follow_the_pages_language(result: RunResult) -> None:
    run = AppRun(key="k", result=result)
    en = _downloads(run, "en", "osm")
    zh = _downloads(run, "zh", "osm")
    assert "Population density" in en["map"][1].decode()
    assert "人口密度" in zh["map"][1].decode()
    assert en["assignment"] == zh["assignment"]  # no words in it


def test_without_a_plan_the_diagnosis_is_offered_as_written(
    config: ScenarioConfig, tmp_path: Path
) -> None:
    # Every fault hotspot within 1 minute: impossible, proven.
    impossible = config.model_copy(
        update={
            "model": config.model.model_copy(update={"enforce_hotspot_response": True}),
            "standards": config.standards.model_copy(
                update={
                    "response_minutes_urban": 1.0,
                    "response_minutes_rural": 1.0,
                    "response_minutes_remote": 1.0,
                }
            ),
        }
    )
    result = run_scenario(impossible)
    assert not result.solution.has_plan
    written = outputs.write_outputs(result, tmp_path)
    assert set(written) == {"lock", "diagnosis"}
    offered = _downloads(AppRun(key="k", result=result), "en", "osm")
    assert set(offered) == {"diagnosis", "bundle"}  # nothing that pretends to be a plan
    name, data = offered["diagnosis"]
    assert name == "diagnosis.json"
    assert data == written["diagnosis"].read_bytes()


def test_switched_off_outputs_are_not_written(result: RunResult, tmp_path: Path) -> None:
    cfg = result.config
    off = cfg.model_copy(
        update={
            "outputs": cfg.outputs.model_copy(
                update={"map": False, "report": False, "geopackage": False}
            )
        }
    )
    written = outputs.write_outputs(replace(result, config=off), tmp_path)
    assert set(written) == {"lock", "kpis", "assignment", "chosen_sites"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written.values())
    doc = json.loads(written["kpis"].read_text(encoding="utf-8"))
    assert doc["tradeoff"] is None  # no report, no curve computed


def test_the_geopackage_is_the_same_bytes_every_time_and_stays_valid(
    result: RunResult, tmp_path: Path
) -> None:
    cfg = result.config
    make = outputs.output_files(
        result, curve=None, language=cfg.outputs.language, basemap=cfg.outputs.basemap
    )["geopackage"].make
    first, second = make(), make()
    assert first == second
    path = tmp_path / "plan.gpkg"
    path.write_bytes(first)
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM gpkg_contents").fetchone()[0] >= 3
