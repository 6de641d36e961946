"""A run's road-network travel on an executor (``run_scenario(executor=)``, ``planner run
--scheduler/--workers``) gives the same inputs and plan as a run without one."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from planner.cli import main
from planner.runs.config import load_scenario
from planner.runs.pipeline import load_inputs, run_scenario

# The Futian scenario snaps a few points by straight line, as it says (a warning, here expected).
pytestmark = pytest.mark.filterwarnings("ignore::planner.travel.road_network.RoutingWarning")

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
NETWORK = SCENARIOS / "shenzhen_futian_network.toml"
STRAIGHT = SCENARIOS / "shenzhen_futian_straight.toml"


def _dense(m: object) -> np.ndarray:
    return m.toarray() if sp.issparse(m) else np.asarray(m)  # type: ignore[attr-defined]


def test_network_travel_on_an_executor_is_the_same(tmp_path: Path) -> None:
    config = load_scenario(NETWORK)
    here = load_inputs(config, warn=False)
    with ThreadPoolExecutor(max_workers=2) as pool:
        there = load_inputs(config, warn=False, executor=pool)
        result = run_scenario(config, executor=pool)
    np.testing.assert_array_equal(_dense(there.travel.minutes), _dense(here.travel.minutes))
    np.testing.assert_array_equal(_dense(there.travel.distance_m), _dense(here.travel.distance_m))
    plain = run_scenario(config, inputs=here)
    assert result.solution.open_sites.tolist() == plain.solution.open_sites.tolist()
    assert result.solution.objective == pytest.approx(plain.solution.objective, rel=1e-12)


def test_cluster_options_on_straight_line_travel_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["run", str(STRAIGHT), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "travel.method = 'straight_line'" in err
    assert "--scheduler/--workers" in err
    assert not out.exists()


@pytest.mark.slow  # starts a local Dask cluster
def test_planner_run_with_workers_uses_a_local_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["run", str(NETWORK), "--out", str(out), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "road-network travel on local (1 workers)" in captured.err
    assert (out / "kpis.json").is_file()
    plain = run_scenario(NETWORK)
    doc = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert doc["solution"]["objective"] == pytest.approx(plain.solution.objective, rel=1e-12)
