"""Robustness in the run folder: the site-frequency map layer and the report section."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path

import pytest
from scenario_fixtures import write_tiny_scenario

from planner.runs.config import load_scenario
from planner.runs.outputs import write_outputs
from planner.runs.pipeline import load_inputs, run_scenario
from planner.runs.results import RobustnessResult, RunResult
from planner.runs.robustness import robustness


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, RobustnessResult]:
    folder = tmp_path_factory.mktemp("tiny")
    config = load_scenario(write_tiny_scenario(folder))
    inputs = load_inputs(config)
    base = run_scenario(config, inputs=inputs)
    result = robustness(
        inputs, config, draws=3, seed=1, parallel=False, base_solution=base.solution
    )
    return dataclasses.replace(base, robustness=result), result


def _robustness_shown(page: str) -> bool:
    """Whether the robustness layer starts switched on (added to the map, not only listed)."""
    layer = re.search(r"var (planner_layer_\w+) = L\.geoJSON\([^\n]*planner-robustness", page)
    assert layer is not None, "no robustness layer"
    return f"{layer.group(1)}.addTo(" in page


def _robustness_features(page: str) -> list[dict[str, object]]:
    marker = page.find("className:'planner-robustness'")
    assert marker > 0, "no robustness layer"
    start = page.rfind("L.geoJSON(", 0, marker) + len("L.geoJSON(")
    collection, _ = json.JSONDecoder().raw_decode(page, start)
    return list(collection["features"])


def test_run_folder_shows_robustness_on_the_map_and_in_the_report(
    run: tuple[RunResult, RobustnessResult], tmp_path: Path
) -> None:
    base, result = run
    written = write_outputs(base, tmp_path)
    assert {"map", "report"} <= set(written)
    f = result.site_frequency
    chosen = f[f["times_chosen"] > 0]

    page = (tmp_path / "map.html").read_text(encoding="utf-8")
    feats = _robustness_features(page)
    assert len(feats) == len(chosen)
    assert _robustness_shown(page)
    tips = " ".join(str(x["properties"]["t"]) for x in feats)  # type: ignore[index]
    for name, freq in zip(chosen["name_en"], chosen["frequency"], strict=True):
        assert f"<b>{name}</b><br>chosen in {100 * freq:.0f}% of draws" in tips

    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="robustness"[^>]*>(.*?)</section>', report, re.DOTALL)
    assert section is not None
    text = html.unescape(re.sub(r"<[^>]+>", " ", section.group(1)))
    assert "The plan was re-solved 3 times" in text
    assert "population 20%, residential density 20%, faults 20%" in text
    for name in f.loc[f["in_base_plan"], "name_en"]:
        assert name in text
    assert "Mean travel (min)" in text
    # the map embedded in the report carries the layer too, switched off (the table is beside it)
    srcdoc = re.search(r'srcdoc="([^"]*)"', report)
    assert srcdoc is not None
    embedded = html.unescape(srcdoc.group(1))
    assert len(_robustness_features(embedded)) == len(chosen)
    assert not _robustness_shown(embedded)


def test_run_folder_without_robustness_has_neither(
    run: tuple[RunResult, RobustnessResult], tmp_path: Path
) -> None:
    base, _ = run
    write_outputs(dataclasses.replace(base, robustness=None), tmp_path)
    assert "planner-robustness" not in (tmp_path / "map.html").read_text(encoding="utf-8")
    assert 'id="robustness"' not in (tmp_path / "report.html").read_text(encoding="utf-8")
