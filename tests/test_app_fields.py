"""Validation beside each field of the Data and Travel steps, before Run (issue 20): the
columns, coordinate system, datum and text encoding of uploaded layers, and the snapping
distance of a road network, each checked right under its widget in the planner's words,
in both languages, with Run kept off while one is red."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scenario_fixtures import write_tiny_scenario
from streamlit.testing.v1 import AppTest

from planner.app import checks
from planner.inputs.datums import gcj02_to_bd09, wgs84_to_gcj02

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    scenario = write_tiny_scenario(tmp_path / "demo")
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(scenario))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(tmp_path / "library"))
    monkeypatch.delenv("PLANNER_MAX_UPLOAD_MB", raising=False)
    return tmp_path


def new_app(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    ok(at)
    at.radio(key="lang").set_value(lang).run()
    at.radio(key="data_source").set_value("upload").run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def texts(at: AppTest, kind: str) -> str:
    return " | ".join(str(e.value) for e in getattr(at.main, kind))


def upload(at: AppTest, slot: str, name: str, data: bytes) -> AppTest:
    key = f"{slot}_uploader_n"
    n = at.session_state[key] if key in at.session_state else 0  # noqa: SIM401 (no .get)
    at.file_uploader(key=f"up_{slot}_{n}").set_value((name, data, "application/octet-stream"))
    at.run()
    ok(at)
    return at


def blocked(at: AppTest) -> bool:
    return bool(at.sidebar.button(key="run_button").disabled)


# --------------------------------------------------------------------------------------
# own data, as planners have it (SYNTHETIC, seeded): 100 m population cells in Web Mercator
# (a zipped Shapefile, GBK attributes, no .cpg) and candidate halls from Baidu (BD-09) in a
# GBK CSV, placed where people live


N, STEP = 30, 0.001
X0, Y0 = 114.25, 30.55


def _city() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    ix, iy = np.meshgrid(np.arange(N), np.arange(N))
    lon = X0 + (ix.ravel() + 0.5) * STEP
    lat = Y0 + (iy.ravel() + 0.5) * STEP
    pop = np.zeros(N * N)
    for _ in range(10):  # populated blocks of 3 x 3 cells in empty land
        cx, cy = rng.integers(2, N - 2, 2)
        block = (np.abs(ix.ravel() - cx) <= 1) & (np.abs(iy.ravel() - cy) <= 1)
        pop[block] = rng.integers(500, 3000, block.sum())
    return lon, lat, pop


def population_zip() -> bytes:
    lon, lat, pop = _city()
    cells = gpd.GeoDataFrame(
        {"格网": [f"网格{i:04d}" for i in range(lon.size)], "人口": pop},
        geometry=shapely.box(lon - STEP / 2, lat - STEP / 2, lon + STEP / 2, lat + STEP / 2),
        crs=4326,
    ).to_crs(3857)
    buf = io.BytesIO()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cells.to_file(Path(tmp) / "人口.shp", driver="ESRI Shapefile", encoding="GBK")
        with zipfile.ZipFile(buf, "w") as zf:
            for part in sorted(Path(tmp).iterdir()):
                if part.suffix.lower() != ".cpg":
                    zf.write(part, part.name)
    return buf.getvalue()


def candidates_csv(
    header: tuple[str, ...] = ("编号", "名称", "类别", "经度", "纬度"),
    *,
    encoding: str = "gbk",
    swap: bool = False,
    blank_name: int | None = None,
    repeat_id: bool = False,
    bad_line: int | None = None,
) -> bytes:
    lon, lat, pop = _city()
    rng = np.random.default_rng(5)
    idx = rng.choice(np.flatnonzero(pop > 0), 24, replace=False)
    plon = lon[idx] + rng.normal(0, 0.0001, idx.size)
    plat = lat[idx] + rng.normal(0, 0.0001, idx.size)
    blon, blat = gcj02_to_bd09(*wgs84_to_gcj02(plon, plat))
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    for j in range(idx.size):
        x, y = f"{blon[j]:.7f}", f"{blat[j]:.7f}"
        if bad_line == j:
            x = "待定"
        w.writerow([
            "C1" if repeat_id and j < 2 else f"C{j + 1}",
            "" if blank_name == j else f"候选营业厅{j + 1}",
            "商场" if j % 2 else "写字楼",
            y if swap else x,
            x if swap else y,
        ])  # fmt: skip
    return out.getvalue().encode(encoding)


def own_data(at: AppTest, candidates: bytes | None = None) -> AppTest:
    upload(at, "population", "population.zip", population_zip())
    return upload(at, "candidates", "candidates.csv", candidates or candidates_csv())


# --------------------------------------------------------------------------------------
# the Data step


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_own_gbk_bd09_data_are_checked_beside_each_field(env: Path, lang: str) -> None:
    at = own_data(new_app(lang))
    # the population column: its total, in people
    assert at.selectbox(key="population_col").value == "人口"
    assert at.selectbox(key="population_id_col").value == "格网"
    info = texts(at, "caption")
    people = "people in total" if lang == "en" else "合计"
    assert people in info
    # the CSV: read as GBK by itself, and the BD-09 coordinates noticed before Run
    assert ("Read as GBK" if lang == "en" else "按 GBK") in info
    assert ("Found by its name: 经度" if lang == "en" else "按列名找到：经度") in info
    warnings = texts(at, "warning")
    assert ("clearly better read as BD-09" if lang == "en" else "BD-09（百度）") in warnings
    assert not blocked(at)  # a warning, not an error
    at.selectbox(key="candidates_crs").set_value("bd09").run()
    assert "BD-09" not in texts(at, "warning")
    # the categories and names the pickers hold
    at.selectbox(key="candidates_category_col").set_value("类别").run()
    assert ("2 categories" if lang == "en" else "2 个类别") in texts(at, "caption")
    assert "候选营业厅1" in texts(at, "caption")
    assert texts(at, "error") == ""


def test_an_encoding_that_cannot_read_the_file_is_said_beside_it(env: Path) -> None:
    at = own_data(new_app())
    at.selectbox(key="candidates_encoding").set_value("utf-8").run()
    ok(at)
    assert "cannot be read as UTF-8" in texts(at, "error")
    assert blocked(at)
    assert "(1. Data · Candidate sites)" in at.sidebar.error[0].value  # the list names the step
    at.selectbox(key="candidates_encoding").set_value("gb18030").run()
    assert texts(at, "error") == ""
    assert not blocked(at)


def test_utf8_names_read_as_gbk_look_garbled() -> None:
    import pandas as pd

    right = pd.DataFrame({"名称": ["青山区营业厅", "江汉营业厅"]})
    # UTF-8 bytes read as GBK may decode without an error, into other characters
    garbled = pd.Series(["青山区营业厅".encode().decode("gb18030")])
    assert garbled[0] == "闈掑北鍖鸿惀涓氬巺"
    assert "encoding" not in checks.column_notes(right, {"candidates_name_col": "名称"}, "en")
    notes = checks.column_notes(
        pd.DataFrame({"名称": garbled}), {"candidates_name_col": "名称"}, "en"
    )
    assert "garbled" in notes["encoding"][0].text


def test_coordinate_columns_are_checked_before_the_layer_is_read(env: Path) -> None:
    at = own_data(new_app(), candidates_csv(("编号", "名称", "类别", "X坐标", "Y坐标")))
    err = texts(at, "error")
    assert "No longitude column found by its name" in err
    assert "No latitude column found by its name" in err
    assert blocked(at)
    assert "lon_col" not in err  # said once, beside the field, not again in config words
    assert "Fix the settings marked red above" in texts(at, "info")
    at.selectbox(key="candidates_lon").set_value("X坐标").run()
    at.selectbox(key="candidates_lat").set_value("X坐标").run()
    assert "the same column 'X坐标'" in texts(at, "error")
    at.selectbox(key="candidates_lat").set_value("Y坐标").run()
    assert texts(at, "error") == ""
    assert "From 114." in texts(at, "caption")  # the range, in degrees


def test_swapped_and_non_numeric_coordinates_are_named(env: Path) -> None:
    at = own_data(new_app(), candidates_csv(swap=True))
    assert "look swapped" in texts(at, "error")
    assert blocked(at)
    at = own_data(new_app(), candidates_csv(bad_line=2))
    assert "has 1 row(s) without a number (line(s) 4)" in texts(at, "error")


def test_repeated_ids_and_missing_names(env: Path) -> None:
    at = own_data(new_app(), candidates_csv(repeat_id=True, blank_name=3))
    at.selectbox(key="candidates_id_col").set_value("编号").run()
    at.selectbox(key="candidates_name_col").set_value("名称").run()
    assert "1 id(s) appear more than once (e.g. 'C1')" in texts(at, "error")
    assert blocked(at)
    assert "1 of 24 rows have no name" in texts(at, "warning")
    at.selectbox(key="candidates_id_col").set_value("").run()
    assert texts(at, "error") == ""


def test_negative_population_is_an_error_beside_the_column() -> None:
    import pandas as pd

    frame = pd.DataFrame({"人口": [10.0, -2.0, 5.0], "p65": [1.0, None, 2.0]})
    notes = checks.column_notes(frame, {"population_col": "人口", "pop65_col": "p65"}, "zh")
    assert "第 2 行" in notes["population_col"][0].text
    assert notes["pop65_col"][0].level == "error"
    zero = checks.column_notes(pd.DataFrame({"人口": [0.0, 0.0]}), {"population_col": "人口"}, "en")
    assert "sums to 0" in zero["population_col"][0].text


def test_projected_metres_under_a_degree_choice_name_the_fix() -> None:
    import pandas as pd

    frame = pd.DataFrame({"lon": [12_720_000.0, 12_721_000.0], "lat": [3_570_000.0, 3_571_000.0]})
    notes = checks.coordinate_notes(frame, lon=None, lat=None, crs="auto", lang="en")
    assert "are metres, not degrees" in notes["crs"][0].text
    assert checks.coordinate_notes(frame, lon=None, lat=None, crs="epsg", lang="en") == {}


# --------------------------------------------------------------------------------------
# the Travel step


@pytest.mark.slow  # reads a road network
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_snapping_distance_is_checked_beside_it(env: Path, lang: str) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.radio(key="lang").set_value(lang).run()
    at.radio(key="step").set_value("travel").run()
    at.radio(key="travel_method").set_value("network").run()
    graph = (DATA / "futian_drive.graphml").read_bytes()
    upload(at, "roads", "futian_drive.graphml", graph)
    err = texts(at, "error")  # Shenzhen roads, Wuhan demand: nothing can snap
    if lang == "en":
        assert "None of the 64 demand points is within 500 m of a road" in err
        assert "raise the snapping distance" in err
    else:
        assert "64 个需求点都不在道路 500 米以内" in err
    assert "demand_lonlat" not in err
    assert "max_snap_m" not in err
    assert blocked(at)
    assert at.number_input(key="max_snap_m").value == 500.0
    at.number_input(key="max_snap_m").set_value(50_000.0).run()  # 50 km: Wuhan still far
    assert blocked(at)


def test_snap_notes_say_what_happens_to_far_points() -> None:
    near, far = np.array([10.0, 120.0, 40.0]), np.array([10.0, 900.0])
    notes = checks.snap_notes(near, far, max_snap_m=500, unsnapped="straight_line", lang="en")
    levels = [n.level for n in notes["max_snap_m"]]
    assert levels == ["info", "warning"]
    assert "straight lines" in notes["max_snap_m"][1].text
    drop = checks.snap_notes(near, far, max_snap_m=500, unsnapped="drop", lang="zh")
    assert "无法到达" in drop["max_snap_m"][1].text


def test_capacity_not_given_yet_is_asked_for_beside_the_field(env: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.radio(key="lang").set_value("zh").run()
    at.radio(key="step").set_value("model").run()
    at.selectbox(key="model_name").set_value("capacitated_p_median").run()
    at.number_input(key="capacity").set_value(0.0).run()
    ok(at)
    assert "无法继续" not in texts(at, "error")  # no scenario-file error above the page
    assert "请填写每个营业厅的容量" in texts(at, "error")
    assert "总需求" in texts(at, "caption")  # the total it must carry, beside it
    assert blocked(at)
    at.number_input(key="capacity").set_value(1e9).run()
    assert texts(at, "error") == ""
    assert not blocked(at)


def test_changes_that_round_to_nothing_have_no_sign() -> None:
    from planner.app.tables import fmt_change

    assert fmt_change("within_30min_share", -0.0001, "zh") == "0.0个百分点"
    assert fmt_change("within_30min_share", 0.144, "en").startswith("+14.4")
    assert fmt_change("mean_minutes", -0.02, "en") == "0.0"
    assert fmt_change("mean_minutes", -2.24, "en") == "-2.2"
    assert fmt_change("n_centres", 0, "en") == "0"


def test_set_covering_radius_that_cannot_reach_everyone_is_said_before_run(env: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.radio(key="lang").set_value("en").run()
    at.radio(key="step").set_value("model").run()
    at.selectbox(key="model_name").set_value("lscp").run()
    at.number_input(key="service_minutes").set_value(1.0).run()
    ok(at)
    (box,) = [e.value for e in at.main.error]
    assert "Set covering must reach every demand point within 1 min" in box
    assert blocked(at)
    least = float(box.split("use at least ")[1].split(" min")[0])
    at.number_input(key="service_minutes").set_value(least).run()
    assert not at.main.error  # rounded up: the least radius named is enough
    assert not blocked(at)
    at.button(key="run_button").click().run()
    ok(at)
    assert at.session_state["run"].solution.has_plan


def test_without_existing_centres_p_and_the_headline_do_not_count_them(env: Path) -> None:
    at = own_data(new_app())
    at.radio(key="step").set_value("model").run()
    at.number_input(key="p").set_value(4).run()
    assert "no existing centres given" in texts(at, "caption")
    at.button(key="run_button").click().run()
    ok(at)
    assert "4 new centre(s); no existing centres given." in texts(at, "caption")


def test_what_is_still_missing_is_said_in_the_pages_language(env: Path) -> None:
    at = new_app("zh")
    assert "请上传人口图层" in texts(at, "error")
    assert "data:" not in texts(at, "error")  # not the scenario file's words
    upload(at, "population", "population.zip", population_zip())
    assert "请上传候选站址" in texts(at, "error")
    at.radio(key="lang").set_value("en").run()
    assert "To continue, upload candidate sites" in texts(at, "error")


def test_excluding_every_site_is_said_beside_the_field_and_keeps_run_off(env: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.radio(key="lang").set_value("en").run()
    at.radio(key="step").set_value("sites").run()
    assert "No candidate site is left" not in texts(at, "error")
    every = [label.split()[0] for label in at.multiselect(key="exclude_ids").options]
    at.multiselect(key="exclude_ids").set_value(every).run()
    ok(at)
    assert blocked(at)
    n = len(every)
    assert f"No candidate site is left ({n} of {n} excluded" in texts(at, "error")
    (box,) = [e.value for e in at.sidebar.error]
    assert "No candidate site is left" in box
    assert "(3. Sites)" in box
    at.radio(key="lang").set_value("zh").run()
    assert "没有剩下可选的候选站址" in texts(at, "error")
    # one site back: the note goes (p = 12 on 8 halls + 1 site is the Model step's concern now)
    at.multiselect(key="exclude_ids").set_value(every[1:]).run()
    assert "没有剩下可选的候选站址" not in texts(at, "error")
    assert all("没有剩下可选的候选站址" not in str(e.value) for e in at.sidebar.error)


def _with_capacity(values: list[str]) -> bytes:
    """The candidate CSV with a capacity column (``容量``; one text value per row)."""
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(candidates_csv()), encoding="gbk", dtype=str)
    frame.insert(3, "容量", values)
    return frame.to_csv(index=False).encode("gbk")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_capacity_column_is_chosen_checked_and_used(env: Path, lang: str) -> None:
    """Capacitated p-median with each site's own capacity (a column of the candidate layer):
    the column is offered and guessed, checked beside it, the Model step counts the sites'
    capacities (those without one take the value typed there) and the plan and the
    downloaded scenario use the column."""
    import tomllib

    from planner.app import downloads

    total = float(_city()[2].sum())
    quarter = f"{total / 4:.0f}"
    at = new_app(lang)
    upload(at, "population", "population.zip", population_zip())
    upload(at, "candidates", "candidates.csv", _with_capacity(["-5", *[quarter] * 23]))
    assert at.selectbox(key="candidates_capacity_col").value == "容量"
    assert ("not a number > 0 (rows 1)" if lang == "en" else "第 1 行") in texts(at, "error")
    assert blocked(at)
    upload(at, "candidates", "candidates.csv", _with_capacity(["", *[quarter] * 23]))
    assert texts(at, "error") == ""
    assert ("1 empty ones take" if lang == "en" else "1 个为空") in texts(at, "caption")
    # examples listed in the page's language (the Chinese list mark showed on English pages)
    assert ("E.g. C1, C2, C3" if lang == "en" else "例如：C1、C2、C3") in texts(at, "caption")

    at.radio(key="step").set_value("model").run()
    at.selectbox(key="model_name").set_value("capacitated_p_median").run()
    at.number_input(key="p").set_value(3).run()
    at.number_input(key="capacity").set_value(0.0).run()
    ok(at)
    some = "1 site(s) have no capacity" if lang == "en" else "有 1 个站址的容量列为空"
    assert some in texts(at, "error")
    assert blocked(at)
    at.number_input(key="capacity").set_value(1.0).run()  # only for the one empty site
    assert ("23 sites take their capacity" if lang == "en" else "23 个站址") in texts(at, "caption")
    short = "The 3 centres with the most capacity" if lang == "en" else "容量最大的 3 个营业厅"
    assert short in texts(at, "error")  # 3 x a quarter of the demand cannot hold it
    assert blocked(at)
    at.number_input(key="p").set_value(5).run()
    assert texts(at, "error") == ""
    assert not blocked(at)
    # one demand point is served by one hall: a capacity below the largest point is red
    biggest = float(_city()[2].max())
    at.radio(key="step").set_value("data").run()
    upload(at, "candidates", "candidates.csv", _with_capacity([f"{biggest / 2:.0f}"] * 24))
    at.radio(key="step").set_value("model").run()
    point = "The largest demand point carries" if lang == "en" else "最大的需求点有"
    assert point in texts(at, "error")
    assert ("this value is not used" if lang == "en" else "此处的值不会用到") in texts(
        at, "caption"
    )
    at.radio(key="step").set_value("data").run()
    upload(at, "candidates", "candidates.csv", _with_capacity(["", *[quarter] * 23]))
    at.radio(key="step").set_value("model").run()
    assert texts(at, "error") == ""

    at.button(key="run_button").click().run()
    ok(at)
    run = at.session_state["run"]
    assert run.solution.has_plan
    sites = run.result.inputs.sites
    served = np.bincount(
        np.asarray(run.solution.assignment),
        weights=run.result.inputs.demand["weight"].to_numpy(),
        minlength=len(sites),
    )
    cap = sites["capacity"].fillna(1.0).to_numpy()
    assert (served <= cap * (1 + 1e-6)).all()  # each hall within its own capacity
    assert served[sites["capacity"].isna().to_numpy()].sum() <= 1.0
    doc = tomllib.loads(downloads.scenario_toml(run.config))
    assert doc["data"]["candidates"]["capacity_col"] == "容量"
    assert doc["model"]["capacity"] == 1.0


def test_kpis_the_data_cannot_give_are_left_out_of_the_table(env: Path) -> None:
    """Own data without residents 65+ or fault records: the KPI table has no rows of dashes
    for them (it had six), and keeps every KPI the data do give."""
    from planner.app import tables

    at = own_data(new_app("en"))
    at.radio(key="step").set_value("model").run()
    at.number_input(key="p").set_value(4).run()
    at.button(key="run_button").click().run()
    ok(at)
    table = tables.kpi_table(at.session_state["run"], "en")
    shown = " ".join(table.iloc[:, 0])
    assert "65+" not in shown
    assert "Fault" not in shown
    assert "Mean travel (min)" in shown
    assert "–" not in set(table.iloc[:, 1])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_blend_is_said_as_it_is_without_residential_or_fault_layers(
    env: Path, lang: str
) -> None:
    """Own data with population only: the fault weight has no records behind it and follows
    the population, and population density stands in for residential density, so the Demand
    step says 80 % population, 20 % density and why (it said 'faults 20%')."""
    at = own_data(new_app(lang))
    at.radio(key="step").set_value("demand").run()
    ok(at)
    shown = texts(at, "caption")
    if lang == "en":
        assert "Blend now: population 80%, residential 20%, faults 0%" in shown
        assert "population density (people per km²) stands in" in shown
        assert "No fault records" in shown
    else:
        assert "当前混合：人口 80%、居住密度 20%、故障 0%" in shown
        assert "没有故障记录" in shown
    assert at.slider(key="w_faults").value == 0.2  # kept for when records come


def test_facility_location_says_when_a_capacity_column_limits_it(env: Path) -> None:
    """Facility location takes each site's capacity where the layers give one: the Model step
    says so (the guessed column made it capacitated unseen), and a column with gaps, which
    the run would refuse, is red before Run."""
    at = new_app("en")
    upload(at, "population", "population.zip", population_zip())
    upload(at, "candidates", "candidates.csv", _with_capacity(["50000"] * 24))
    at.radio(key="step").set_value("model").run()
    at.selectbox(key="model_name").set_value("facility_location").run()
    ok(at)
    assert "All 24 sites have a capacity" in texts(at, "caption")
    assert not blocked(at)
    at.radio(key="step").set_value("data").run()
    upload(at, "candidates", "candidates.csv", _with_capacity(["", *["50000"] * 23]))
    at.radio(key="step").set_value("model").run()
    assert "1 site(s) have no capacity in the capacity column" in texts(at, "error")
    assert blocked(at)
    at.radio(key="step").set_value("data").run()
    at.selectbox(key="candidates_capacity_col").set_value("").run()
    at.radio(key="step").set_value("model").run()
    assert texts(at, "error") == ""
    assert "have a capacity" not in texts(at, "caption")
