"""The scenario library: saved runs survive a new library object (a restart), compare side by side."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest

from planner.errors import DataError, InputError
from planner.runs.library import LIBRARY_FILE, ScenarioLibrary


def _lock(p: int, sites: list[str], objective: float) -> str:
    ids = ", ".join(f'"{s}"' for s in sites)
    return (
        f"open_site_ids = [{ids}]\n"
        '[planner_lock]\nwritten_at = "2026-01-01T00:00:00+00:00"\n'
        f'[settings]\nname = "tiny"\n[settings.model]\nname = "p_median"\np = {p}\n'
        f'[solution]\nstatus = "optimal"\nobjective = {objective}\ngap = 0.0\n'
    )


def _kpis(mean: float, share: float) -> dict[str, object]:
    return {
        "solution": {"status": "optimal", "quality": "proven optimal", "model": "p_median"},
        "plan": {"summary": {"n_centres": 3.0, "mean_minutes": mean, "within_15min_share": share}},
    }


def _save(lib: ScenarioLibrary, name: str, p: int, sites: list[str], mean: float) -> None:
    lib.save(
        name,
        scenario_toml=f'name = "{name}"\n',
        lock_toml=_lock(p, sites, mean * 100),
        kpis=_kpis(mean, 0.8),
        open_site_ids=sites,
        sites=[{"site_id": s, "name_zh": f"站{s}", "name_en": f"Site {s}"} for s in sites],
        map_html="<html><body>map 地图</body></html>",
    )


def test_saved_runs_survive_a_restart(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    _save(ScenarioLibrary(folder), "方案 A", 3, ["S1", "S2", "S3"], 9.5)
    assert (folder / LIBRARY_FILE).is_file()
    again = ScenarioLibrary(folder)  # a new object on the same folder: as after a restart
    assert again.names() == ["方案 A"]
    saved = again.load("方案 A")
    assert saved.open_site_ids == ("S1", "S2", "S3")
    assert saved.map_html == "<html><body>map 地图</body></html>"
    assert saved.summary["mean_minutes"] == 9.5
    assert saved.sites[0]["name_zh"] == "站S1"
    table = again.table()
    assert table.loc[0, "name"] == "方案 A"
    assert table.loc[0, "n_open"] == 3
    assert table.loc[0, "mean_minutes"] == 9.5


def test_a_taken_name_needs_overwrite(tmp_path: Path) -> None:
    lib = ScenarioLibrary(tmp_path)
    _save(lib, "a", 3, ["S1"], 9.0)
    with pytest.raises(InputError, match="already saved"):
        _save(lib, "a", 3, ["S2"], 8.0)
    lib.save(
        "a",
        scenario_toml="",
        lock_toml=_lock(1, ["S2"], 1.0),
        kpis=_kpis(8.0, 0.9),
        open_site_ids=["S2"],
        overwrite=True,
    )
    assert lib.load("a").open_site_ids == ("S2",)
    assert lib.load("a").map_html is None
    assert lib.names() == ["a"]


def test_a_run_shows_its_map_in_the_language_of_the_page(tmp_path: Path) -> None:
    lib = ScenarioLibrary(tmp_path)
    pages = {"zh": "<html>图例</html>", "en": "<html>Legend</html>"}
    lib.save(
        "both",
        scenario_toml="",
        lock_toml=_lock(1, ["S1"], 1.0),
        kpis=_kpis(8.0, 0.9),
        open_site_ids=["S1"],
        map_html=pages["zh"],
        maps=pages,
    )
    saved = ScenarioLibrary(tmp_path).load("both")  # after a restart
    assert saved.map_in("en") == "<html>Legend</html>"
    assert saved.map_in("zh") == "<html>图例</html>"
    # overwritten without maps: none of the old ones is left
    lib.save(
        "both", scenario_toml="", lock_toml=_lock(1, ["S1"], 1.0), kpis=_kpis(8.0, 0.9),
        open_site_ids=["S1"], overwrite=True,
    )  # fmt: skip
    assert lib.load("both").map_in("en") is None
    # a run saved with one map (as before maps were kept per language) shows that one
    _save(lib, "one", 1, ["S1"], 1.0)
    assert lib.load("one").map_in("en") == "<html><body>map 地图</body></html>"
    # a deleted run leaves no map behind
    lib.save(
        "gone", scenario_toml="", lock_toml=_lock(1, ["S1"], 1.0), kpis=_kpis(8.0, 0.9),
        open_site_ids=["S1"], maps=pages,
    )  # fmt: skip
    lib.delete("gone")
    with closing(sqlite3.connect(tmp_path / LIBRARY_FILE)) as con:
        left = con.execute("SELECT COUNT(*) FROM scenario_maps WHERE name = 'gone'").fetchone()
    assert left == (0,)


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "empty"), ("   ", "empty"), ("x" * 81, "at most 80"), ("a\nb", "control")],
)
def test_bad_names_are_refused(tmp_path: Path, name: str, message: str) -> None:
    lib = ScenarioLibrary(tmp_path)
    with pytest.raises(InputError, match=message):
        _save(lib, name, 1, ["S1"], 1.0)


def test_load_and_delete_unknown_names(tmp_path: Path) -> None:
    lib = ScenarioLibrary(tmp_path)
    with pytest.raises(InputError, match="no saved scenario named 'nope'"):
        lib.load("nope")
    _save(lib, "x", 1, ["S1"], 1.0)
    lib.delete("x")
    assert lib.names() == []
    with pytest.raises(InputError, match="no saved scenario"):
        lib.delete("x")


def test_compare_names_sites_added_dropped_and_kept(tmp_path: Path) -> None:
    lib = ScenarioLibrary(tmp_path)
    _save(lib, "base/1", 3, ["S1", "S2", "S3"], 10.0)
    _save(lib, "more centres", 4, ["S1", "S2", "S4", "S5"], 8.0)
    comparison = lib.compare(["base/1", "more centres"])
    assert [r.name for r in comparison.runs] == ["base/1", "more centres"]
    assert list(comparison.kpis.columns) == ["base/1", "more centres"]
    assert comparison.kpis.loc["mean_minutes", "more centres"] == 8.0
    row = comparison.sites.loc["more centres"]
    assert (row["kept"], row["added"], row["dropped"]) == (2, 2, 1)
    assert row["added_ids"] == "S4;S5"
    assert row["dropped_ids"] == "S3"
    assert "model.p" in comparison.settings.index


def test_compare_needs_two_different_runs(tmp_path: Path) -> None:
    lib = ScenarioLibrary(tmp_path)
    _save(lib, "a", 1, ["S1"], 1.0)
    with pytest.raises(InputError, match="at least two"):
        lib.compare(["a"])
    with pytest.raises(InputError, match="chosen twice"):
        lib.compare(["a", "a"])


def test_folder_that_is_a_file_or_not_a_library(tmp_path: Path) -> None:
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        ScenarioLibrary(afile)
    with pytest.raises(InputError, match="empty"):
        ScenarioLibrary("  ")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / LIBRARY_FILE).write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(DataError, match="not a scenario library"):
        ScenarioLibrary(bad)


def test_saves_from_several_threads_all_land(tmp_path: Path) -> None:
    lib = ScenarioLibrary(tmp_path)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            ScenarioLibrary(tmp_path).save(
                f"run {i}",
                scenario_toml="",
                lock_toml=_lock(1, [f"S{i}"], float(i)),
                kpis=_kpis(float(i), 0.5),
                open_site_ids=[f"S{i}"],
            )
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert sorted(lib.names()) == sorted(f"run {i}" for i in range(8))
    with sqlite3.connect(tmp_path / LIBRARY_FILE) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_nan_kpis_are_stored_as_null(tmp_path: Path) -> None:
    lib = ScenarioLibrary(tmp_path)
    lib.save(
        "n",
        scenario_toml="",
        lock_toml=_lock(1, ["S1"], 1.0),
        kpis={"plan": {"summary": {"mean_minutes": float("nan")}}},
        open_site_ids=["S1"],
    )
    assert json.loads(lib.load("n").kpis_json)["plan"]["summary"]["mean_minutes"] is None
