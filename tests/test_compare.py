"""Comparing run folders: KPIs side by side, sites added/dropped/kept, settings that differ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomli_w

from planner.errors import DataError, InputError
from planner.evaluate.compare import compare_runs, read_run
from planner.present.labels import comparison_text


def _write_run(
    folder: Path,
    *,
    sites: list[str],
    p: int,
    objective: float,
    mean_minutes: float,
    within_15: float,
    nested: bool = True,
) -> Path:
    """A run folder as ``planner run`` writes it (only the two files compare reads)."""
    folder.mkdir(parents=True)
    lock = {
        "planner_lock": {"written_at": "2025-01-01T00:00:00+00:00", "machine": "test"},
        "settings": {
            "name": "tiny",
            "model": {"name": "p_median", "p": p, "cost": "minutes"},
            "demand": {"population": 0.6, "residential": 0.2, "faults": 0.2},
            "standards": {"service_minutes": [15.0, 30.0]},
        },
        "inputs": {"population": {"path": "x.gpkg", "sha256": "0" * 64}},
        "versions": {"python": "3.11"},
        "solution": {"status": "optimal", "objective": objective, "gap": 0.0},
        "open_site_ids": sites,
    }
    (folder / "scenario.lock.toml").write_text(tomli_w.dumps(lock), encoding="utf-8")
    summary = {
        "n_centres": float(p),
        "mean_minutes": mean_minutes,
        "within_15min_share": within_15,
        "faults_within_response_share": None,
    }
    doc = {"plan": {"summary": summary}, "baseline": None} if nested else {"summary": summary}
    (folder / "kpis.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


@pytest.fixture
def runs(tmp_path: Path) -> list[Path]:
    return [
        _write_run(
            tmp_path / "p4",
            sites=["E1", "E2", "S01", "S07"],
            p=4,
            objective=1000.0,
            mean_minutes=9.5,
            within_15=0.8,
        ),
        _write_run(
            tmp_path / "p5",
            sites=["E1", "E2", "S01", "S03", "S09"],
            p=5,
            objective=900.0,
            mean_minutes=8.25,
            within_15=0.9,
            nested=False,
        ),
    ]


def test_side_by_side(runs: list[Path]) -> None:
    c = compare_runs(runs)
    assert [r.name for r in c.runs] == ["p4", "p5"]
    assert c.kpis.loc["objective", "p5"] == 900.0
    assert c.kpis.loc["mean_minutes", "p4"] == 9.5
    assert c.kpis.loc["within_15min_share", "p5"] == 0.9
    assert list(c.kpis.index[:2]) == ["objective", "gap"]
    sites = c.sites.loc["p5"]
    assert (sites["n_open"], sites["kept"], sites["added"], sites["dropped"]) == (5, 3, 2, 1)
    assert sites["added_ids"] == "S03;S09"
    assert sites["dropped_ids"] == "S07"
    ref = c.sites.loc["p4"]
    assert (ref["kept"], ref["added"], ref["dropped"]) == (4, 0, 0)
    assert list(c.settings.index) == ["model.p"]
    assert c.settings.loc["model.p"].tolist() == [4, 5]


def test_text_and_json(runs: list[Path]) -> None:
    c = compare_runs(runs)
    text = comparison_text(c)
    assert "Mean travel (min)" in text
    assert "80.0 %" in text
    assert "90.0 %" in text
    assert "p5: added S03, S09; dropped S07" in text
    assert "model.p: p4=4 | p5=5" in text
    assert "15分钟" in comparison_text(c, language="zh")
    doc = json.loads(json.dumps(c.to_dict()))
    assert doc["reference"] == "p4"
    assert doc["kpis"]["mean_minutes"] == {"p4": 9.5, "p5": 8.25}
    assert doc["kpis"]["faults_within_response_share"] == {"p4": None, "p5": None}
    assert doc["sites"]["p5"]["dropped_ids"] == "S07"
    assert doc["settings_that_differ"] == {"model.p": {"p4": 4, "p5": 5}}


def test_same_folder_names_are_told_apart(tmp_path: Path) -> None:
    a = _write_run(
        tmp_path / "a" / "out", sites=["S1"], p=1, objective=1, mean_minutes=1, within_15=1
    )
    b = _write_run(
        tmp_path / "b" / "out", sites=["S2"], p=1, objective=2, mean_minutes=2, within_15=1
    )
    c = compare_runs([a, b])
    assert [r.name for r in c.runs] == ["1:out", "2:out"]


def test_needs_two_runs(runs: list[Path]) -> None:
    with pytest.raises(InputError, match="at least two run folders"):
        compare_runs(runs[:1])


def test_missing_folder_and_files_are_named(runs: list[Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"run folder .*nowhere does not exist"):
        compare_runs([runs[0], tmp_path / "nowhere"])
    (runs[1] / "kpis.json").unlink()
    with pytest.raises(InputError, match=r"p5 is not a run folder: kpis\.json is missing"):
        compare_runs(runs)


def test_broken_files_are_named(runs: list[Path]) -> None:
    (runs[1] / "kpis.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match=r"kpis\.json: not valid JSON"):
        read_run(runs[1])
    (runs[0] / "scenario.lock.toml").write_text("= nope", encoding="utf-8")
    with pytest.raises(DataError, match=r"scenario\.lock\.toml: not a valid lock file"):
        read_run(runs[0])


def test_a_run_without_a_plan(runs: list[Path]) -> None:
    (runs[1] / "kpis.json").rename(runs[1] / "diagnosis.json")
    c = compare_runs(runs)
    assert c.kpis["p5"].drop(["objective", "gap"]).isna().all()
    assert c.runs[1].status == "optimal"  # as the lock file says
