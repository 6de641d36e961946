"""The ``planner`` command line: exit codes 0/2/1, --json/--quiet, nothing written on error."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from scenario_fixtures import write_tiny_scenario

from planner.cli import main
from planner.errors import SettingWarning

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ("run", "validate", "sweep", "robustness", "compare", "demo", "bench")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_scenario(tmp_path_factory.mktemp("tiny"))


def _variant(scenario: Path, old: str, new: str, name: str = "variant.toml") -> Path:
    text = scenario.read_text(encoding="utf-8")
    assert old in text
    path = scenario.parent / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


# ------------------------------------------------------------------ help


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out
    assert "Exit codes" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_explains_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "--json" in out
    assert "--quiet" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("planner ")


def test_unknown_option_is_bad_input(scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(scenario), "--nope"]) == 2
    assert "--nope" in capsys.readouterr().err


# ------------------------------------------------------------------ validate


def test_validate(scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(scenario)]) == 0
    assert "valid — 64 demand points, 14 sites" in capsys.readouterr().out
    assert main(["validate", str(scenario), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["ok"] is True
    assert info["demand_points"] == 64
    assert info["existing_centres"] == 2
    assert main(["validate", str(scenario), "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")


def test_settings_the_model_ignores_are_named(scenario: Path) -> None:
    path = _variant(scenario, "p = 4", "p = 4\nradius = 3\nbudget = 100", "unused.toml")
    with pytest.warns(SettingWarning) as caught:
        assert main(["validate", str(path), "--quiet"]) == 0
    assert sorted(str(w.message) for w in caught) == [
        "model.budget = 100.0 is not used by model 'p_median' (only by facility_location); it "
        "is ignored. Remove it, or choose one of those models.",
        "model.radius = 3.0 is not used by model 'p_median' (only by mclp, lscp); it is "
        "ignored. Remove it, or choose one of those models.",
    ]


def test_validate_checks_a_sweep_grid(scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(scenario), "--param", "model.p=2:5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sweep_points"] == 4
    assert main(["validate", str(scenario), "--param", "model.p=2,40"]) == 2
    err = capsys.readouterr().err
    assert "sweep point model.p=40" in err
    assert "more than the 14 sites" in err
    # points with other data settings are loaded and checked too
    args = ["--param", "data.existing.policy=may_close,keep", "--param", "model.p=1"]
    assert main(["validate", str(scenario), *args]) == 2
    err = capsys.readouterr().err
    assert "sweep point data.existing.policy='keep', model.p=1" in err
    assert "fewer than the 2 existing centres" in err
    assert main(["validate", str(scenario), "--param", "model.pp=2"]) == 2
    assert "`model.pp` is not a scenario setting" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("p = 4", 'p = "many"', ["variant.toml", "`model.p`", "'many'"]),
        ("p = 4", "p = 4\nnmae = 'x'", ["variant.toml", "unknown setting `model.nmae`"]),
        ('layer = "population"', 'layer = "population"\npopulation_col = "adults"', ["'adults'"]),
        (
            'path = "tiny.gpkg"\nlayer = "candidate_sites"',
            'path = "missing.gpkg"',
            ["missing.gpkg"],
        ),
    ],
)
def test_bad_scenarios_exit_2_and_name_the_problem(
    scenario: Path, old: str, new: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _variant(scenario, old, new)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert len(err.strip().splitlines()) == 1  # one line, no traceback
    for text in expected:
        assert text in err


def test_missing_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml does not exist" in capsys.readouterr().err


def test_json_error_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.toml"), "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert doc["exit_code"] == 2
    assert "nope.toml" in doc["error"]


# ------------------------------------------------------------------ run


def test_run_writes_a_folder_once(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True
    assert doc["status"] == "optimal"
    assert len(doc["open_sites"]) == 4
    assert doc["kpis"]["n_centres"] == 4
    assert (out / "kpis.json").is_file()
    assert (out / "scenario.lock.toml").is_file()
    before = sorted(p.name for p in out.iterdir())

    assert main(["run", str(scenario), "--out", str(out)]) == 2
    assert "already exists; choose another `--out` or add `--force`" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before

    assert main(["run", str(scenario), "--out", str(out), "--force", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")


def test_run_prints_the_objective_for_people(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(scenario), "--out", str(tmp_path / "run")]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    objective = json.loads((tmp_path / "run" / "kpis.json").read_text("utf-8"))["solution"]
    shown = f"objective {objective['objective']:,.2f}, "
    assert shown in head, head  # thousands separators, two decimals (was 16 digits)
    assert head.endswith(" s)")


def test_bad_input_writes_nothing(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _variant(scenario, "p = 4", "p = 40", name="p40.toml")
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out)]) == 2
    assert "model.p = 40 is more than the 14 sites" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_run_without_a_plan_exits_3_and_says_why(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _variant(
        scenario, 'name = "p_median"\np = 4', 'name = "lscp"\nradius = 0.5', "tight.toml"
    )
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "error: no plan:" in err
    assert "have no candidate site within 0.5 min" in err
    assert "(e.g. c0" in err  # demand points by their ids, not row numbers
    assert str(out / "diagnosis.json") in err
    assert sorted(p.name for p in out.iterdir()) == [
        ".planner-run",
        "diagnosis.json",
        "scenario.lock.toml",
    ]
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    (finding,) = doc["details"]["diagnosis"]["findings"]
    assert finding["code"] == "outside_radius"
    assert all(i.startswith("c") for i in finding["demand_ids"])
    assert len(finding["demand_ids"]) == len(finding["rows"])
    assert "0.5 分钟内没有候选站址" in doc["explanation"]["zh"]
    assert doc["explanation"]["en"] in err
    assert main(["run", str(path), "--out", str(out), "--force", "--json"]) == 3
    summary = json.loads(capsys.readouterr().out)
    assert (summary["ok"], summary["exit_code"], summary["status"]) == (False, 3, "infeasible")
    assert summary["error"].startswith("no plan: ")
    # Robustness needs a plan to perturb: it says so and writes nothing.
    rob = tmp_path / "rob"
    assert main(["robustness", str(path), "--out", str(rob), "--serial", "--draws", "2"]) == 3
    assert "error: no plan to test: " in capsys.readouterr().err
    assert not rob.exists()
    # Compared with a run that has a plan, its status shows.
    planned = tmp_path / "planned"
    assert main(["run", str(scenario), "--out", str(planned), "--quiet"]) == 0
    assert main(["compare", str(out), str(planned)]) == 0
    status_line = capsys.readouterr().out.splitlines()[1].split()
    assert status_line == ["status", "infeasible", "optimal"]


def test_internal_error_exits_1(
    scenario: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import planner.runs.pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(planner.runs.pipeline, "load_inputs", broken)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "internal error (RuntimeError: boom)" in err
    assert "Traceback" not in err
    assert not out.exists()


# ------------------------------------------------------------------ sweep


def test_sweep(scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sweep"
    args = ["sweep", str(scenario), "--out", str(out), "--serial", "--no-runs"]
    assert main([*args, "--param", "model.p=2:4", "--param", "demand.faults=0,0.5"]) == 0
    text = capsys.readouterr().out
    assert "6 scenarios (serial)" in text
    assert "001_p-2_faults-0" in text
    assert (out / "sweep.csv").is_file()
    assert (out / "tradeoff.svg").is_file()
    assert not (out / "runs").exists()
    assert main([*args, "--param", "model.p=2:3", "--force", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True
    assert [row["model.p"] for row in doc["rows"]] == [2, 3]
    assert doc["scheduler"] == "serial"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--param", "model.q=1:3"], "`model.q` is not a scenario setting"),
        (["--param", "model.p"], "write SETTING=VALUES"),
        (["--param", "model.p=2", "--param", "model.p=3"], "--param model.p is given twice"),
        ([], "nothing to sweep"),
        (["--param", "model.p=2", "--serial", "--workers", "2"], "--serial runs without Dask"),
    ],
)
def test_bad_sweeps_exit_2_and_write_nothing(
    scenario: Path,
    tmp_path: Path,
    extra: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "sweep"
    assert main(["sweep", str(scenario), "--out", str(out), *extra]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unreachable_scheduler_exits_2(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep"
    args = ["sweep", str(scenario), "--out", str(out), "--param", "model.p=2"]
    assert main([*args, "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at --scheduler 'tcp://127.0.0.1:9'" in err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ robustness and compare


def test_robustness(scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "robust"
    args = ["robustness", str(scenario), "--out", str(out), "--serial", "--draws", "4"]
    assert main([*args, "--error", "population=0.3", "--error", "faults=0.3", "--seed", "2"]) == 0
    text = capsys.readouterr().out
    assert "4 of 4 draws solved" in text
    assert "plan  chosen" in text
    for name in ("robustness_sites.csv", "robustness.json", "kpis.json", "scenario.lock.toml"):
        assert (out / name).is_file()
    assert main([*args, "--force", "--json", "--error", "0.1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["relative_error"] == {"population": 0.1, "residential": 0.1, "faults": 0.1}
    assert doc["outputs"]["json"] == str(out / "robustness.json")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--error", "pop=0.2"], "unknown component(s) ['pop']"),
        (["--error", "faults=lots"], "'lots' is not a number"),
        (["--distribution", "normal"], "use lognormal or uniform"),
        (["--draws", "0"], "--draws"),
    ],
)
def test_bad_robustness_exits_2(
    scenario: Path,
    tmp_path: Path,
    extra: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "robust"
    assert main(["robustness", str(scenario), "--out", str(out), "--serial", *extra]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_compare_two_runs(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p3 = _variant(scenario, "p = 4", "p = 3", name="p3.toml")
    assert main(["run", str(p3), "--out", str(tmp_path / "p3"), "--quiet"]) == 0
    assert main(["run", str(scenario), "--out", str(tmp_path / "p4"), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "p3"), str(tmp_path / "p4")]) == 0
    text = capsys.readouterr().out
    assert "Mean travel (min)" in text
    assert "model.p: p3=3 | p4=4" in text
    assert main(["compare", str(tmp_path / "p3"), str(tmp_path / "p4"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sites"]["p4"]["n_open"] == 4
    assert doc["sites"]["p4"]["kept"] + doc["sites"]["p4"]["dropped"] == 3
    assert doc["kpis"]["mean_minutes"]["p4"] <= doc["kpis"]["mean_minutes"]["p3"]
    assert main(["compare", str(tmp_path / "p3"), str(tmp_path / "nowhere")]) == 2


# ------------------------------------------------------------------ bench


def _run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "run_all_under_test", REPO / "benchmarks" / "run_all.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_bench_driver_collects_markdown(tmp_path: Path) -> None:
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    (folder / "bench_good.py").write_text(
        "import sys\nprint('## Good benchmark')\nprint('| quick |', '--quick' in sys.argv, '|')\n",
        encoding="utf-8",
    )
    (folder / "bench_bad.py").write_text(
        "import sys\nprint('partial')\nsys.exit('bad things happened')\n", encoding="utf-8"
    )
    (folder / "helper.py").write_text("raise SystemExit('not a benchmark')\n", encoding="utf-8")
    out = tmp_path / "BENCHMARKS.md"
    results = _run_all().run_benchmarks(
        folder, quick=True, out=out, command="planner bench --quick"
    )
    assert [(r.name, r.ok) for r in results] == [("bench_bad", False), ("bench_good", True)]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks (quick run)")
    assert "- date: " in text
    assert "nproc " in text
    assert "memory " in text
    assert "- command: `planner bench --quick`" in text
    assert "## Good benchmark\n| quick | True |" in text
    assert "**bench_bad failed** (exit code 1)" in text
    assert "bad things happened" in text
    assert "not a benchmark" not in text

    _run_all().run_benchmarks(folder, out=out, only=["good"], append=True)
    appended = out.read_text(encoding="utf-8")
    assert appended.startswith(text.rstrip("\n"))
    assert "# Benchmarks (full run)" in appended
    assert "| quick | False |" in appended


def test_bench_unknown_name_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "B.md"
    assert main(["bench", "--only", "no_such_benchmark", "--out", str(out)]) == 2
    assert "unknown benchmark(s) ['no_such_benchmark']" in capsys.readouterr().err
    assert not out.exists()


# ------------------------------------------------------------------ demo


def test_demo_finds_its_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`planner demo` resolves the shipped scenario and refuses to overwrite without --force.

    (The demo run itself is tested in test_demo_run.py.)
    """
    out = tmp_path / "demo"
    out.mkdir()
    (out / "mine.txt").write_text("keep", encoding="utf-8")
    assert main(["demo", "--out", str(out), "--no-force"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]


def test_module_entry_point() -> None:
    """``python -m planner.cli`` and the ``planner`` script call the same main()."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "planner.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("planner ")


def test_run_timings_report_every_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`planner run --timings` names each pipeline stage once, in order, with wall
    time, CPU time and peak memory."""
    from scenario_fixtures import write_tiny_data

    write_tiny_data(tmp_path)
    scenario = write_tiny_scenario(tmp_path)
    code = main(["run", str(scenario), "--out", str(tmp_path / "out"), "--timings", "--quiet"])
    assert code == 0
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("[timing]")]
    stages = [ln.split()[1] for ln in lines]
    assert stages == ["reading", "aggregation", "travel", "solve", "kpis", "outputs"]
    assert all(" cpu " in ln and " GB" in ln for ln in lines)
