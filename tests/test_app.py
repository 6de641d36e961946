"""The Streamlit app, used as a planner would: ``streamlit.testing.v1.AppTest`` drives ``app.py``.

The "demo" is the tiny synthetic scenario of ``scenario_fixtures`` (set through
``PLANNER_DEMO_SCENARIO``) so that every solve takes a fraction of a second; the
real Wuhan demo runs in ``test_app_browser.py`` and ``benchmarks/bench_app.py``.
Uploads come from ``tests/data/uploads`` (``make_fixtures.py`` writes them).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from scenario_fixtures import plain_table, write_tiny_scenario
from streamlit.testing.v1 import AppTest

from planner.app import downloads
from planner.app import run as app_run
from planner.app import state as app_state
from planner.runs.config import load_scenario

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
UPLOADS = Path(__file__).resolve().parent / "data" / "uploads"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    scenario = write_tiny_scenario(tmp_path / "demo")
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(scenario))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(tmp_path / "library"))
    monkeypatch.delenv("PLANNER_MAX_UPLOAD_MB", raising=False)
    return tmp_path


def new_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    """No traceback in the page."""
    assert not at.exception, [e.value for e in at.exception]


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]


def go(at: AppTest, step: str) -> AppTest:
    at.radio(key="step").set_value(step).run()
    ok(at)
    return at


def run(at: AppTest) -> AppTest:
    at.button(key="run_button").click().run()
    ok(at)
    return at


def upload(at: AppTest, slot: str, name: str, data: bytes | None = None) -> AppTest:
    n = at.session_state.get(f"{slot}_uploader_n", 0)
    content = (UPLOADS / name).read_bytes() if data is None else data
    at.file_uploader(key=f"up_{slot}_{n}").set_value((name, content, "application/octet-stream"))
    at.run()
    ok(at)
    return at


# --------------------------------------------------------------------------------------
# the default demo


def test_first_page_shows_the_demo_summary_and_solves_nothing(env: Path) -> None:
    at = new_app()
    assert at.session_state["step"] == "data"
    assert errors(at) == []
    summary = at.dataframe[0].value
    assert summary.iloc[0, 1] == 64  # 8 x 8 demand cells
    assert summary.iloc[1, 1] == 12  # candidates
    assert summary.iloc[2, 1] == 2  # existing centres
    assert "run" not in at.session_state
    # every step draws without an error, and still nothing is solved
    for step in app_state.STEPS:
        go(at, step)
        assert errors(at) == [], step
    assert "run" not in at.session_state


def test_run_shows_status_kpis_sites_and_downloads(env: Path) -> None:
    at = run(new_app())
    assert at.session_state["step"] == "results"
    assert errors(at) == []
    assert any("proven optimal" in m.value for m in at.markdown)
    labels = [m.label for m in at.metric]
    assert "Service centres" in labels
    assert "Mean travel (min)" in labels
    centres = next(m for m in at.metric if m.label == "Service centres")
    assert centres.value == "4"
    assert centres.delta == "+2"  # against the 2 existing centres
    kpis, sites = at.dataframe[0].value, at.dataframe[1].value
    assert "Today" in kpis.columns
    assert "Change" in kpis.columns
    assert len(sites) == 4
    assert set(sites["Status"]) <= {"new", "kept"}
    assert (sites["Status"] == "kept").sum() == 2  # existing centres are kept by policy
    worst = at.dataframe[2].value
    assert "Travel (min)" in worst.columns
    keys = {b.key for b in at.get("download_button")}
    assert {f"download_{k}" for k in ("map", "report", "geopackage", "bundle")} <= keys


def test_a_display_option_does_not_solve_again(env: Path) -> None:
    at = run(new_app())
    first = at.session_state["run"]
    at.slider(key="n_worst").set_value(3).run()
    ok(at)
    assert len(at.dataframe[2].value) == 3
    at.selectbox(key="basemap").set_value("none").run()
    ok(at)
    assert at.session_state["run"] is first
    # a setting change does not solve either; the page says the results are stale
    go(at, "model")
    at.number_input(key="p").set_value(5).run()
    go(at, "results")
    assert at.session_state["run"] is first
    assert any("Settings changed" in i.value for i in at.info)
    run(at)
    assert at.session_state["run"] is not first
    assert next(m for m in at.metric if m.label == "Service centres").value == "5"


def test_language_switch_changes_every_label(env: Path) -> None:
    at = run(new_app())
    assert at.sidebar.title[0].value == "Service-Centre Planner"
    at.radio(key="lang").set_value("zh").run()
    ok(at)
    assert at.sidebar.title[0].value == "供电营业厅选址"
    assert at.button(key="run_button").label == "▶ 运行"
    labels = [m.label for m in at.metric]
    assert "营业厅数量" in labels
    assert "平均出行时间（分钟）" in labels
    assert any("已证明最优" in m.value for m in at.markdown)
    assert any("方法 精确求解" in m.value for m in at.markdown)  # how, in the language too
    assert "状态" in at.dataframe[1].value.columns
    go(at, "model")
    assert at.selectbox(key="model_name").label == "选址模型"
    at.radio(key="lang").set_value("en").run()
    assert at.selectbox(key="model_name").label == "Location model"


def test_settings_survive_moving_between_steps(env: Path) -> None:
    at = go(new_app(), "demand")
    at.slider(key="w_faults").set_value(0.5).run()
    go(at, "model")
    at.selectbox(key="model_name").set_value("p_center").run()
    go(at, "data")
    go(at, "demand")
    assert at.slider(key="w_faults").value == 0.5
    go(at, "model")
    assert at.selectbox(key="model_name").value == "p_center"


def test_sites_excluded_by_list_are_never_chosen(env: Path) -> None:
    at = run(new_app())
    chosen = list(at.dataframe[1].value["Site ID"])
    new = [s for s in chosen if s.startswith("S")]
    go(at, "sites")
    at.multiselect(key="exclude_ids").set_value(new).run()
    ok(at)
    run(at)
    again = list(at.dataframe[1].value["Site ID"])
    assert not set(new) & set(again)


def test_tradeoff_curve_only_when_asked_and_drawn_natively(env: Path) -> None:
    at = run(new_app())
    assert at.session_state["run"].curve is None  # a Run does not sweep
    assert not at.get("vega_lite_chart")
    at.number_input(key="sweep_from").set_value(2).run()
    at.number_input(key="sweep_to").set_value(6).run()
    at.button(key="tradeoff_button").click().run()
    ok(at)
    curve = at.session_state["run"].curve
    assert list(curve["p"]) == [2, 3, 4, 5, 6]
    assert curve["mean_minutes"].is_monotonic_decreasing
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert len(spec["vconcat"]) == 2  # mean travel and share within the standard
    # the curve stays while the planner looks at other steps and comes back
    go(go(at, "model"), "results")
    assert at.get("vega_lite_chart")


def test_the_curve_can_be_stopped_and_keeps_nothing(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The curve is computed on a thread under its own stop token: Stop ends it (here the
    token is set as it starts, as a click would), nothing of it is kept, the page says so,
    and the next 'Compute the curve' works."""
    from planner.optimize.timing import current_stop

    real = app_run.sweep_curve
    tokens: list[object] = []

    def clicked_while_sweeping(*args: Any, **kwargs: Any) -> Any:
        token = current_stop()
        assert token is not None  # the job's token reaches the solver's checks
        tokens.append(token)
        token.set()
        return real(*args, **kwargs)

    at = run(new_app())
    monkeypatch.setattr(app_run, "sweep_curve", clicked_while_sweeping)
    at.number_input(key="sweep_from").set_value(2).run()
    at.number_input(key="sweep_to").set_value(6).run()
    at.button(key="tradeoff_button").click().run()
    ok(at)
    assert len(tokens) == 1
    assert any("trade-off curve stopped by you" in w.value for w in at.warning), [
        w.value for w in at.warning
    ]
    assert at.session_state["run"].curve is None
    assert not at.get("vega_lite_chart")
    monkeypatch.setattr(app_run, "sweep_curve", real)
    at.button(key="tradeoff_button").click().run()
    ok(at)
    assert list(at.session_state["run"].curve["p"]) == [2, 3, 4, 5, 6]


# --------------------------------------------------------------------------------------
# errors in plain words


def test_infeasible_standard_is_explained(env: Path) -> None:
    at = go(new_app(), "model")
    at.checkbox(key="enforce_hotspots").check().run()
    at.number_input(key="response_urban").set_value(1.0).run()
    at.number_input(key="response_rural").set_value(1.0).run()
    at.number_input(key="response_remote").set_value(1.0).run()
    run(at)
    text = " ".join(errors(at))
    assert "cannot all be met" in text
    assert "fault hotspot(s) (e.g. c0" in text  # named by their demand ids
    assert "Try: looser response standards" in text
    assert "more centres" not in text  # a remedy that cannot help a hotspot out of reach
    assert "time limit" not in text  # proven: more time cannot help
    # ... and drawn: the points the diagnosis names, on a map of the inputs.
    assert any("demand point(s) the diagnosis names" in c.value for c in at.caption)
    (page,) = [f.proto.srcdoc for f in at.get("iframe")]
    assert "Points that cannot be served" in page
    assert "#e7298a" in page
    keys = {b.key for b in at.get("download_button")}
    assert "download_bundle" in keys
    assert "download_scenario" not in keys  # absolute paths into the session: not offered
    assert "download_map" not in keys
    at.radio(key="lang").set_value("zh").run()
    text = " ".join(errors(at))
    assert "个故障热点（如 c0" in text
    assert "在其抢修响应时限内没有候选站址" in text
    assert "fault hotspot" not in text


def test_too_few_centres_for_the_response_limits_says_how_many(env: Path) -> None:
    at = go(new_app(), "model")
    at.number_input(key="p").set_value(3).run()
    at.checkbox(key="enforce_hotspots").check().run()
    for zone in ("urban", "rural", "remote"):
        at.number_input(key=f"response_{zone}").set_value(4.0).run()
    run(at)
    text = " ".join(errors(at))
    assert "meeting the fault-hotspot response limits needs at least 4 open centres" in text
    assert "but p = 3" in text
    at.radio(key="lang").set_value("zh").run()
    assert "满足故障热点的抢修响应时限至少需要 4 个营业厅" in " ".join(errors(at))
    go(at, "model")
    at.number_input(key="p").set_value(4).run()
    run(at)
    assert errors(at) == []


def test_impossible_p_is_a_clear_error_and_the_app_goes_on(env: Path) -> None:
    at = go(new_app(), "model")
    at.number_input(key="p").set_value(99).run()
    assert any("more than the 14 sites" in e for e in errors(at))  # before Run, beside p
    assert at.button(key="run_button").disabled
    at.number_input(key="p").set_value(3).run()
    run(at)
    assert errors(at) == []


def test_no_demand_weight_is_a_config_error(env: Path) -> None:
    at = go(new_app(), "demand")
    for key in ("w_population", "w_residential", "w_faults"):
        at.slider(key=key).set_value(0.0).run()
    assert any("are all 0: set at least one above 0 (step 2, Demand)" in e for e in errors(at))
    assert at.button(key="run_button").disabled


# --------------------------------------------------------------------------------------
# uploads


def _own_layers(at: AppTest) -> AppTest:
    at.radio(key="data_source").set_value("upload").run()
    ok(at)
    return at


@pytest.mark.slow
def test_upload_of_each_format_runs(env: Path) -> None:
    at = _own_layers(new_app())
    assert any("upload a population layer" in e for e in errors(at))
    upload(at, "population", "population_cells.geojson")
    assert at.selectbox(key="population_col").value == "人口"
    assert at.selectbox(key="pop65_col").value == "老年人口"
    assert at.selectbox(key="population_id_col").value == "格网编号"
    upload(at, "residential", "residential.gpkg")  # two layers: the first is picked
    assert at.selectbox(key="residential_layer").options == ["residential", "boundary"]
    assert at.selectbox(key="residential_col").value == "density"
    upload(at, "faults", "faults.parquet")
    assert at.selectbox(key="faults_time_col").value == "报修时间"
    upload(at, "candidates", "candidates_gcj02.csv")
    at.selectbox(key="candidates_crs").set_value("gcj02").run()
    assert at.selectbox(key="candidates_lon").options[1:] == [
        "编号",
        "名称",
        "类别",
        "经度",
        "纬度",
    ]
    assert at.selectbox(key="candidates_name_col").value == "名称"
    at.selectbox(key="candidates_id_col").set_value("编号").run()
    upload(at, "existing", "existing_gbk.zip")
    at.selectbox(key="existing_name_col").set_value("名称").run()
    ok(at)
    assert errors(at) == []
    summary = at.dataframe[-1].value
    assert list(summary.iloc[:, 1]) == [64, 10, 2, 30]
    go(at, "sites")
    assert sorted(at.multiselect(key="categories").value) == ["写字楼", "商场"]
    closable = at.multiselect(key="closable_ids")
    assert closable.options == ["E1 江汉营业厅", "E2 武昌营业厅"]  # GBK names decoded
    run(at)
    assert errors(at) == []
    assert len(at.dataframe[1].value) == 4
    assert "武昌营业厅" in set(at.dataframe[1].value["Name"])


@pytest.mark.slow
def test_road_network_upload_is_read_and_its_problem_explained(env: Path) -> None:
    at = go(new_app(), "travel")
    at.radio(key="travel_method").set_value("network").run()
    assert any("upload a road network" in e for e in errors(at))
    graph = (Path(__file__).resolve().parent / "data" / "futian_drive.graphml").read_bytes()
    upload(at, "roads", "futian_drive.graphml", graph)
    # read; the snapping distance is checked beside it before Run (tests/test_app_fields.py)
    assert any("None of the 64 demand points" in e for e in errors(at)), errors(at)
    assert any("None of the 14 sites" in e for e in errors(at)), errors(at)
    assert (Path(at.session_state["session_folder"].path) / "roads.graphml").is_file()
    # a demand setting changed: the straight-line reading (for the snapping notes) and the
    # road-network reading are both new, each waited for with its own Stop button
    at.session_state["hotspot_quantile"] = 0.8
    at.run()
    ok(at)
    assert any("None of the 64 demand points" in e for e in errors(at)), errors(at)
    go(at, "data")
    assert any("None of the 64 points" in e for e in errors(at)), errors(at)
    assert not any("Unexpected" in e for e in errors(at)), errors(at)
    go(at, "data")  # Shenzhen roads, Wuhan demand: nothing snaps, and the page says why
    text = " ".join(errors(at))
    assert "None of the 64 points" in text
    assert "futian_drive.graphml" in text  # the user's file name ...
    assert "planner-session-" not in text  # ... not the private folder
    go(at, "travel")
    at.radio(key="travel_method").set_value("straight_line").run()
    go(at, "data")
    assert errors(at) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bomb.zip", "zip bomb"),
        ("traversal.zip", "(an absolute path or '..')"),
        ("missing_dbf.zip", "lacks its .dbf file(s)"),
        ("empty.csv", "has no rows"),
        ("projected.csv", "are metres, not degrees"),
        ("no_numbers.geojson", "holds numbers"),
    ],
)
def test_bad_uploads_give_a_clear_message(env: Path, name: str, message: str) -> None:
    at = upload(_own_layers(new_app()), "population", name)
    text = " ".join(errors(at))
    assert message in text
    assert "planner-session-" not in text  # the user's file is named, not the private folder
    go(at, "model")  # the rest of the app keeps working
    assert at.selectbox(key="model_name").value == "p_median"


def test_oversize_upload_is_refused(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_MAX_UPLOAD_MB", "0.001")
    at = upload(_own_layers(new_app()), "population", "population_cells.geojson")
    assert any("upload limit" in e for e in errors(at))
    assert "upload_population" not in at.session_state


def test_save_upload_keeps_files_inside_the_session_folder(tmp_path: Path) -> None:
    from planner.errors import DataError
    from planner.inputs.uploads import max_upload_bytes, save_upload

    folder = tmp_path / "session"
    folder.mkdir()
    data = (UPLOADS / "population_cells.geojson").read_bytes()
    saved = save_upload(data, "../../etc/passwd.geojson", folder, slot="population")
    assert saved.path == folder / "population.geojson"
    assert saved.original_name == "passwd.geojson"
    assert saved.path.stat().st_mode & 0o077 == 0
    again = save_upload(b"a,b\n1,2\n", "C:\\Users\\x\\new.csv", folder, slot="population")
    assert sorted(p.name for p in folder.iterdir()) == ["population.csv"]  # replaced, not added
    assert again.original_name == "new.csv"
    with pytest.raises(DataError, match="unknown type"):
        save_upload(b"x", "notes.docx", folder, slot="population")
    with pytest.raises(DataError, match="is empty"):
        save_upload(b"", "a.geojson", folder, slot="population")
    with pytest.raises(DataError, match=r"a\.gpkg: expected a GeoPackage \(SQLite\) file"):
        save_upload(b"garbage" * 10, "a.gpkg", folder, slot="population")
    assert not (folder / "population.gpkg").exists()  # a refused file is not kept
    assert max_upload_bytes() == 100_000_000


def test_upload_limit_setting_must_be_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.errors import ConfigError
    from planner.inputs.uploads import max_upload_bytes

    monkeypatch.setenv("PLANNER_MAX_UPLOAD_MB", "lots")
    with pytest.raises(ConfigError, match="PLANNER_MAX_UPLOAD_MB"):
        max_upload_bytes()
    monkeypatch.setenv("PLANNER_MAX_UPLOAD_MB", "2.5")
    assert max_upload_bytes() == 2_500_000


def test_bad_epsg_code_is_named(env: Path) -> None:
    at = upload(_own_layers(new_app()), "population", "population_cells.geojson")
    at.selectbox(key="population_crs").set_value("epsg").run()
    at.text_input(key="population_epsg").input("99999999").run()
    ok(at)
    assert any("not a coordinate system" in e or "99999999" in e for e in errors(at))


def test_removing_an_upload_forgets_it(env: Path) -> None:
    at = upload(_own_layers(new_app()), "population", "population_cells.geojson")
    path = Path(at.session_state["upload_population"]["path"])
    assert path.is_file()
    at.button(key="remove_population").click().run()
    ok(at)
    assert "upload_population" not in at.session_state
    assert any("upload a population layer" in e for e in errors(at))


def test_two_sessions_never_share_uploads(env: Path) -> None:
    a = upload(_own_layers(new_app()), "population", "population_cells.geojson")
    b = new_app()
    folder_a = Path(a.session_state["session_folder"].path)
    folder_b = Path(b.session_state["session_folder"].path)
    assert folder_a != folder_b
    assert folder_a.stat().st_mode & 0o077 == 0  # private to this user
    assert "upload_population" not in b.session_state
    assert b.session_state["data_source"] == "demo"
    assert list(folder_b.iterdir()) == []


# --------------------------------------------------------------------------------------
# scenarios


@pytest.mark.slow
def test_save_reopen_and_compare_scenarios(env: Path) -> None:
    at = run(new_app())
    go(at, "scenarios")
    at.text_input(key="save_name").input("four centres").run()
    at.button(key="save_button").click().run()
    ok(at)
    assert any("Saved: four centres" in s.value for s in at.success)
    go(at, "model")
    at.number_input(key="p").set_value(6).run()
    run(at)
    go(at, "scenarios")
    at.text_input(key="save_name").input("six centres").run()
    at.button(key="save_button").click().run()
    # the same name again needs "overwrite"
    at.button(key="save_button").click().run()
    assert any("already saved" in e for e in errors(at))

    # a restart: a new session on the same library folder
    at = go(new_app(), "scenarios")
    listed = plain_table(at.table[0])
    assert set(listed.iloc[:, 0]) == {"four centres", "six centres"}
    at.multiselect(key="compare_names").set_value(["four centres", "six centres"]).run()
    ok(at)
    kpis = plain_table(at.table[-2])
    assert list(kpis.columns) == ["four centres", "six centres", "six centres vs four centres"]
    sites = plain_table(at.table[-1])
    assert list(sites.iloc[:, 0]) == [4, 6]  # centres open in each
    assert sites.iloc[1, 1] == 4  # all four kept ...
    assert sites.iloc[1, 2].count("S") == 2  # ... and two added, with names

    # reopen: apply its settings to the steps
    at.selectbox(key="open_name").set_value("six centres").run()
    at.button(key="apply_button").click().run()
    ok(at)
    assert at.session_state["p"] == 6
    at.button(key="delete_button").click().run()
    ok(at)
    assert any("Deleted: six centres" in s.value for s in at.success)


def test_library_folder_that_is_a_file(env: Path) -> None:
    (env / "library").mkdir()
    (env / "library" / "blocker").write_text("x")
    at = new_app()
    at.sidebar.text_input(key="library_name").input("blocker").run()
    go(at, "scenarios")
    assert any("is a file" in e for e in errors(at))


@pytest.mark.parametrize("name", ["../outside", "/etc", "a/b", "..", ".hidden", "users"])
def test_library_is_a_name_under_the_root_never_a_path(env: Path, name: str) -> None:
    at = new_app()
    at.sidebar.text_input(key="library_name").input(name).run()
    go(at, "scenarios")
    assert any("library name" in e for e in errors(at))
    # no folder or SQLite file was created for it, in the root or outside it
    assert {p.name for p in env.iterdir()} <= {"demo", "library"}
    library = env / "library"
    assert not library.exists() or {p.name for p in library.iterdir()} <= {"scenarios.sqlite"}


def test_save_needs_a_name(env: Path) -> None:
    at = go(run(new_app()), "scenarios")
    at.button(key="save_button").click().run()
    assert any("name" in e and "empty" in e for e in errors(at))


# --------------------------------------------------------------------------------------
# planner.app: what the downloads hold


@pytest.fixture
def solved(env: Path) -> app_run.AppRun:
    from planner.runs.pipeline import load_inputs

    config = load_scenario(env / "demo" / "tiny.toml")
    return app_run.solve_run(load_inputs(config), config, key=app_state.run_key(config))


def test_the_apps_curve_is_the_outputs_tradeoff(solved: app_run.AppRun) -> None:
    from planner.runs.outputs import tradeoff

    seen: list[tuple[int, int]] = []
    curve = app_run.sweep_curve(solved, (2, 6), progress=lambda d, n: seen.append((d, n)))
    assert curve is not None
    expected = tradeoff(solved.result, p_range=(2, 6))
    assert expected is not None
    pd.testing.assert_frame_equal(curve, expected)
    assert list(curve["p"]) == [2, 3, 4, 5, 6]
    # the plan's own p keeps the plan; the progress ends at the number solved
    own = curve[curve["p"] == solved.solution.p].iloc[0]
    assert own["objective"] == pytest.approx(float(solved.solution.objective))
    assert seen[-1] == (4, 4)
    assert {"p", "status", "mean_minutes", "coverage_share", "improvement"} <= set(curve.columns)


def test_downloads_hold_what_they_say(solved: app_run.AppRun, tmp_path: Path) -> None:
    import geopandas as gpd

    files = {
        k: (name, make())
        for k, (name, _mime, make) in downloads.download_files(solved, "en").items()
    }
    assert files["map"][0] == "map.html"
    page = files["map"][1].decode()
    assert "L.version" in page or "Leaflet" in page
    assert "https://cdn" not in page  # inlined, works offline
    assert "<iframe" in files["report"][1].decode()
    (tmp_path / "plan.gpkg").write_bytes(files["geopackage"][1])
    assert len(gpd.read_file(tmp_path / "plan.gpkg", layer="chosen_sites")) == 4
    assert files["assignment"][1].startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    doc = json.loads(files["kpis"][1])
    assert doc["open_site_ids"] == solved.result.chosen_sites["site_id"].tolist()


def test_scenario_bundle_reproduces_the_run(solved: app_run.AppRun, tmp_path: Path) -> None:
    from planner.runs.pipeline import run_scenario

    with zipfile.ZipFile(io.BytesIO(downloads.scenario_bundle(solved.config))) as zf:
        zf.extractall(tmp_path / "bundle")
    text = (tmp_path / "bundle" / "scenario.toml").read_text(encoding="utf-8")
    assert 'path = "data/tiny.gpkg"' in text
    again = run_scenario(tmp_path / "bundle" / "scenario.toml")
    assert again.solution.open_sites.tolist() == solved.solution.open_sites.tolist()


def test_state_round_trips_through_the_config(env: Path) -> None:
    demo = load_scenario(env / "demo" / "tiny.toml")
    state: dict[str, Any] = {**app_state.state_from_config(demo), "data_source": "demo"}
    config = app_state.config_from_state(state, demo=demo)
    back = app_state.state_from_config(config)
    for key in app_state.SETTING_KEYS:
        assert back[key] == state[key], key
    assert config.model.p == demo.model.p
    assert config.data.population.path.is_absolute()
    assert app_state.run_key(config) == app_state.run_key(
        app_state.config_from_state(state, demo=demo)
    )
    changed = app_state.config_from_state({**state, "p": 3}, demo=demo)
    assert app_state.run_key(changed) != app_state.run_key(config)
    assert app_state.inputs_key(changed) == app_state.inputs_key(config)
    coarser = app_state.config_from_state({**state, "cell_size_m": 1000.0}, demo=demo)
    assert coarser.demand.cell_size_m == 1000.0
    assert app_state.inputs_key(coarser) != app_state.inputs_key(config)


def test_every_demo_file_path_is_made_absolute(env: Path) -> None:
    # The whole-Wuhan scenarios name a 65+ raster relative to the scenario file; the app
    # rebuilt the scenario in its session folder and only made `path` absolute, so the
    # page said the 65+ file did not exist (under /tmp) and nothing could run.
    demo = load_scenario(env / "demo" / "tiny.toml")
    population = demo.data.population.model_copy(update={"pop65_path": Path("pop65.tif")})
    asked = demo.model_copy(
        update={"data": demo.data.model_copy(update={"population": population})}
    )
    state: dict[str, Any] = {**app_state.state_from_config(asked), "data_source": "demo"}
    config = app_state.config_from_state(state, demo=asked, session_dir=env / "session")
    assert config.data.population.pop65_path == (env / "demo" / "pop65.tif").resolve()
    assert config.data.population.path.is_absolute()


def test_solver_settings_the_page_does_not_show_survive(env: Path) -> None:
    # The demo scenario asks for the proof (target_gap = 0); the page has no field for it,
    # and rebuilding the scenario from the widgets once dropped it (the app then stopped
    # at the default 0.1 % gap where the command line proved the plan optimal).
    demo = load_scenario(env / "demo" / "tiny.toml")
    asked = demo.model_copy(
        update={"solver": demo.solver.model_copy(update={"target_gap": 0.0, "seed": 7})}
    )
    state: dict[str, Any] = {**app_state.state_from_config(asked), "data_source": "demo"}
    config = app_state.config_from_state(state, demo=demo)
    assert config.solver.target_gap == 0.0
    assert config.solver.seed == 7


def test_leaflet_is_vendored_once() -> None:
    """One copy of Leaflet (planner/present/static); the app serves no static folder."""
    copies = sorted(
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("leaflet.js")
        if not {".venv", ".git", "build", "node_modules"} & set(p.relative_to(ROOT).parts)
    )
    assert copies == ["planner/present/static/leaflet/leaflet.js"]


def test_streamlit_config_is_headless_and_private() -> None:
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["headless"] is True
    # Leaflet travels inside the maps (planner.present.maps.inline_assets): nothing to serve
    assert not cfg["server"].get("enableStaticServing", False)
    assert cfg["server"]["maxUploadSize"] >= 1
    assert cfg["browser"]["gatherUsageStats"] is False


def test_every_app_label_has_both_languages() -> None:
    import re

    from planner.present.i18n import LABELS

    text = "".join(
        p.read_text(encoding="utf-8") for p in sorted((ROOT / "planner" / "app").rglob("*.py"))
    )
    found = set(re.findall(r"[\"'](app_[a-z0-9_]+)[\"']", text))
    used = {k for k in found if not k.endswith("_")}
    assert len(used) > 100, "no labels found"
    assert sorted(k for k in used if k not in LABELS) == []
    for prefix in (k for k in found if k.endswith("_")):  # labels("app_mode_") and the like
        assert any(k.startswith(prefix) for k in LABELS), prefix
    dynamic = [f"app_model_{m}" for m in app_state.MODEL_CHOICES]
    dynamic += [f"app_model_{m}_help" for m in app_state.MODEL_CHOICES]
    dynamic += [f"app_step_{s}" for s in app_state.STEPS]
    dynamic += [f"app_crs_{c}" for c in app_state.CRS_CHOICES]
    dynamic += [f"app_slot_{s}" for s in app_state.LAYER_SLOTS]
    dynamic += [f"app_slot_{s}_help" for s in app_state.LAYER_SLOTS]
    dynamic += [f"app_basemap_{b}" for b in app_state.BASEMAP_CHOICES]
    dynamic += [f"app_policy_{p}" for p in ("keep", "may_close")]
    dynamic += [f"app_travel_{m}" for m in ("straight_line", "network")]
    dynamic += [f"app_mode_{m}" for m in ("drive", "ebike", "walk")]
    dynamic += [f"app_method_{m}" for m in ("auto", "exact", "heuristic")]
    dynamic += [f"app_source_{s}" for s in ("demo", "upload")]
    dynamic += [f"app_download_{k}" for k in downloads.RUN_DOWNLOADS]
    for key in dynamic:
        assert set(LABELS[key]) == {"zh", "en"}, key
        assert LABELS[key]["zh"]
        assert LABELS[key]["en"]
