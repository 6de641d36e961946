"""Output folders never lose a user's file: --force, locks, SIGTERM, stale temporary folders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from scenario_fixtures import write_tiny_scenario

from planner.cli import main
from planner.errors import InputError
from planner.runs.outdir import MARKER, check_out_dir, claim_out_dir, foreign_files

PLANNER = [sys.executable, "-m", "planner.cli"]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_scenario(tmp_path_factory.mktemp("tiny"))


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_force_never_replaces_the_scenarios_own_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_tiny_scenario(tmp_path / "X")
    before = _tree(tmp_path)
    assert main(["run", str(scenario), "--out", str(tmp_path / "X"), "--force"]) == 2
    assert "holds" in capsys.readouterr().err
    assert main(["run", str(scenario), "--out", str(tmp_path), "--force"]) == 2
    assert _tree(tmp_path) == before


def test_force_never_replaces_a_folder_the_planner_did_not_write(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes", encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(mine), "--force"]) == 2
    err = capsys.readouterr().err
    assert "not written by the planner" in err
    assert MARKER in err
    assert _tree(tmp_path) == {"mine/notes.txt": b"my notes"}


def test_force_replaces_a_planner_folder(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "-q"]) == 0
    assert (out / MARKER).is_file()
    (out / "kpis.json").write_text("stale", encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(out), "--force", "-q"]) == 0
    assert (out / "kpis.json").read_text(encoding="utf-8") != "stale"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no lock, tmp or old folder


def test_force_never_deletes_a_file_the_user_saved_into_a_run_folder(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A planner's run folder with the user's own spreadsheet saved into it (top level or
    deeper): --force used to delete the spreadsheet with the old outputs."""
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "-q"]) == 0
    assert foreign_files(out) == []
    (out / "分析 notes.xlsx").write_bytes(b"mine")
    assert main(["run", str(scenario), "--out", str(out), "--force", "-q"]) == 2
    err = capsys.readouterr().err
    assert "分析 notes.xlsx" in err
    assert "did not write" in err
    assert (out / "分析 notes.xlsx").read_bytes() == b"mine"
    (out / "分析 notes.xlsx").unlink()
    (out / "map_files").mkdir()
    (out / "map_files" / "edit.html").write_text("mine", encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(out), "--force", "-q"]) == 2
    assert "map_files/edit.html" in capsys.readouterr().err
    assert (out / "map_files" / "edit.html").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_file_saved_into_the_folder_during_the_run_survives(
    scenario: Path, tmp_path: Path
) -> None:
    """The check is made again when the outputs are put in place (a long solve)."""
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "-q"]) == 0

    def run_saving_a_file_meanwhile() -> None:
        with claim_out_dir(out, force=True) as claim, claim.writing() as tmp:
            (tmp / "kpis.json").write_text("{}", encoding="utf-8")
            (out / "mine.txt").write_text("saved while the run solved", encoding="utf-8")

    with pytest.raises(InputError, match=r"mine\.txt"):
        run_saving_a_file_meanwhile()
    assert (out / "mine.txt").is_file()
    assert (out / "map.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        (".", "current folder"),
        ("file.txt/run", "is a file, not a folder"),
        ("file.txt", "is a file, not a folder"),
    ],
)
def test_out_problems_are_found_before_the_solve(
    scenario: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    out: str,
    expected: str,
) -> None:
    import planner.runs.pipeline

    def no_solve(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved before the --out check")

    monkeypatch.setattr(planner.runs.pipeline, "load_inputs", no_solve)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    assert main(["run", str(scenario), "--out", out, "--force"]) == 2
    assert expected in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_read_only_parent_is_found_before_the_solve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    real_access = os.access
    # Tests may run as root, who may write anywhere: deny this one folder instead of chmod.
    monkeypatch.setattr(
        "planner.runs.outdir.os.access", lambda p, mode: Path(p) != locked and real_access(p, mode)
    )
    with pytest.raises(InputError, match="cannot write in"):
        check_out_dir(locked / "deeper" / "run", force=False)


def test_a_held_lock_stops_a_second_run_at_once(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    with claim_out_dir(out, force=False):
        assert main(["run", str(scenario), "--out", str(out)]) == 2
        assert "another planner run is writing" in capsys.readouterr().err
        with (
            pytest.raises(InputError, match="another planner run"),
            claim_out_dir(out, force=False),
        ):
            pass
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # the lock file is gone with the lock


@pytest.mark.slow
def test_two_concurrent_runs_into_one_folder(scenario: Path, tmp_path: Path) -> None:
    """Whichever order they take, one run writes the folder and the other exits 2."""
    out = tmp_path / "run"
    procs = [
        subprocess.Popen(
            [*PLANNER, "run", str(scenario), "--out", str(out), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.communicate(timeout=300)[1], p.returncode) for p in procs]
    results = [(code, err) for err, code in results]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "another planner run is writing" in loser or "already exists" in loser
    assert (out / "kpis.json").is_file()
    assert (out / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


_BLOCKING_RUN = """
import sys
import planner.runs.outputs
from planner.cli import main

write = planner.runs.outputs.write_outputs

def write_then_wait(result, folder):
    written = write(result, folder)
    print("WRITING", flush=True)
    sys.stdin.readline()  # until the test has sent SIGTERM
    return written

planner.runs.outputs.write_outputs = write_then_wait
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_sigterm_removes_the_temporary_folder(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-c", _BLOCKING_RUN, "run", str(scenario), "--out", str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "WRITING"
    assert [p.name.startswith(".run.tmp-") for p in tmp_path.iterdir()].count(True) == 1
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "terminated; no output was written" in err
    assert list(tmp_path.iterdir()) == []


def test_stale_temporary_folders_of_killed_runs_are_cleaned(scenario: Path, tmp_path: Path) -> None:
    stale = tmp_path / ".run.tmp-killed"
    stale.mkdir()
    (stale / MARKER).write_text("{}", encoding="utf-8")
    (stale / "kpis.json").write_text("{}", encoding="utf-8")
    users = tmp_path / ".run.tmp-users-own"  # same pattern, no marker: not ours, kept
    users.mkdir()
    assert main(["run", str(scenario), "--out", str(tmp_path / "run"), "-q"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".run.tmp-users-own", "run"]


def test_run_folders_of_earlier_versions_are_the_planners_own(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old_run"  # written before the marker existed: outputs only
    old.mkdir()
    for name in ("scenario.lock.toml", "kpis.json", "map.html"):
        (old / name).write_text("old", encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(old), "--force", "-q"]) == 0
    assert (old / MARKER).is_file()
    mixed = tmp_path / "mixed"  # the same plus a file of the user's: not ours
    mixed.mkdir()
    for name in ("scenario.lock.toml", "kpis.json", "my_notes.docx"):
        (mixed / name).write_text("mine", encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(mixed), "--force"]) == 2
    assert "not written by the planner" in capsys.readouterr().err
    assert (mixed / "my_notes.docx").read_text(encoding="utf-8") == "mine"
