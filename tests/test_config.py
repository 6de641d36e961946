"""Scenario files: validation with messages that name the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import ConfigError
from planner.runs.config import load_scenario, scenario_from_dict

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "scenarios" / "wuhan_demo.toml"

MINIMAL = """
name = "mini"
[data.population]
path = "pop.gpkg"
[data.candidates]
path = "sites.csv"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_scenario_is_valid() -> None:
    cfg = load_scenario(DEMO)
    assert cfg.model.name == "p_median"
    assert (
        cfg.resolve(cfg.data.population.path)
        == (REPO / "data" / "geo" / "wuhan_demo.gpkg").resolve()
    )


def test_paths_are_relative_to_the_scenario_file(tmp_path: Path) -> None:
    cfg = load_scenario(_write(tmp_path, MINIMAL))
    assert cfg.resolve(cfg.data.population.path) == tmp_path.resolve() / "pop.gpkg"
    assert cfg.travel.detour_factor == 1.3  # the documented default


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "[model]\nnmae = 'p_median'\n")
    with pytest.raises(ConfigError, match=r"s\.toml: unknown setting `model\.nmae`"):
        load_scenario(path)


def test_wrong_type_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "[model]\np = 'twelve'\n")
    with pytest.raises(ConfigError, match=r"`model\.p`: .*'twelve'"):
        load_scenario(path)


def test_detour_factor_below_one(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "[travel]\ndetour_factor = 0.8\n")
    with pytest.raises(ConfigError, match=r"`travel\.detour_factor`"):
        load_scenario(path)


def test_unknown_model(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "[model]\nname = 'p_mediun'\n")
    with pytest.raises(ConfigError, match=r"`model\.name`"):
        load_scenario(path)


def test_network_without_file(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "[travel]\nmethod = 'network'\n")
    with pytest.raises(ConfigError, match="needs \\[travel.network\\]"):
        load_scenario(path)


def test_no_candidates() -> None:
    with pytest.raises(ConfigError, match="give \\[data.candidates\\]"):
        scenario_from_dict({"data": {"population": {"path": "p.gpkg"}}})


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(_write(tmp_path, "name = \n"))
    with pytest.raises(ConfigError, match="unknown setting `base_dir`"):
        load_scenario(_write(tmp_path, "base_dir = '/'\n" + MINIMAL))
