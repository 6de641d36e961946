"""Maps: layers, labels, datums, catchments and the offline-safe standalone HTML."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from map_fixtures import make_inputs, travel

from planner.errors import ConfigError, InputError
from planner.evaluate.kpis import baseline_kpis, plan_kpis
from planner.inputs.datums import wgs84_to_gcj02
from planner.optimize.solution import Solution
from planner.present.i18n import LABELS, LANGUAGES, t
from planner.present.maps import (
    BaseMap,
    asset_files,
    catchment_polygons,
    inline_assets,
    map_html,
    plan_map,
    save_map_html,
    tianditu_basemap,
    travel_note_text,
)

OPEN = [0, 1, 2]


@pytest.fixture(scope="module")
def inputs() -> SimpleNamespace:
    demand, sites = make_inputs()
    tm = travel(demand, sites)
    cols = {
        "population": demand["population"],
        "pop_65plus": demand["pop_65plus"],
        "fault_intensity": demand["fault_intensity"],
        "zone": demand["zone"],
        "is_hotspot": demand["is_hotspot"],
    }
    kpis = plan_kpis(OPEN, minutes=tm.minutes, distance_m=tm.distance_m, **cols)
    base = baseline_kpis([1, 4], minutes=tm.minutes, distance_m=tm.distance_m, **cols)
    return SimpleNamespace(demand=demand, sites=sites, tm=tm, kpis=kpis, base=base)


def _features(page: str, geom_type: str) -> list[str]:
    return re.findall(r'"geometry":\{"type":"' + geom_type + r'","coordinates":([^}]*)\}', page)


def _overlay_names(page: str) -> list[str]:
    """Overlay names of the layer control (folium writes them as JSON strings)."""
    control = re.search(r"overlays :\s*\{(.*?)\}", page, re.DOTALL)
    assert control is not None
    return [json.loads(q) for q in re.findall(r'("(?:[^"\\]|\\.)*") :', control.group(1))]


def _points(page: str) -> np.ndarray:
    coords = [list(map(float, c.strip("[]").split(","))) for c in _features(page, "Point")]
    return np.asarray(coords)


# --- labels ------------------------------------------------------------------------------


def test_every_label_has_both_languages() -> None:
    for key, entry in LABELS.items():
        for lang in LANGUAGES:
            assert entry[lang].strip(), f"{key} has no {lang} text"


def test_label_lookup_and_errors() -> None:
    assert t("layer_catchments", "zh") == "服务范围"
    assert t("layer_catchments", "en") == "Catchments"
    assert t("kpi_within_minutes", "en", minutes=15) == "Population within 15 min"
    assert t("simulated_faults_note") == "故障记录为模拟数据"  # Chinese is the default
    with pytest.raises(KeyError, match="no_such_label"):
        t("no_such_label", "en")
    with pytest.raises(ConfigError, match="language"):
        t("layer_catchments", "fr")


# --- the map -------------------------------------------------------------------------------


def test_map_has_every_layer_in_the_layer_control(inputs: SimpleNamespace) -> None:
    demand, sites, kpis, base = inputs.demand, inputs.sites, inputs.kpis, inputs.base
    m = plan_map(
        demand, sites, OPEN, kpis=kpis, baseline=base, service_radius_m=1000.0, language="en"
    )
    assert isinstance(m, folium.Map)
    page = map_html(m)
    assert _overlay_names(page) == [
        "Population density",
        "Fault hotspots (simulated)",
        "Catchments",
        "Service radius (1 km)",
        "Allocation lines (sample)",
        "Candidate sites",
        "Existing centres (kept / closed)",
        "Chosen centres",
    ]
    # one base layer: OpenStreetMap
    assert '"OpenStreetMap"' in page
    assert "tile.openstreetmap.org" in page


def test_layer_names_and_panel_in_chinese(inputs: SimpleNamespace) -> None:
    demand, sites, kpis, base = inputs.demand, inputs.sites, inputs.kpis, inputs.base
    page = map_html(plan_map(demand, sites, OPEN, kpis=kpis, baseline=base))
    names = _overlay_names(page)
    for label in ("人口密度", "故障热点（模拟数据）", "服务范围", "选定营业厅"):
        assert label in names
    for label in ("方案指标", "平均出行时间（分钟）", "现状"):  # KPI panel
        assert label in page
    assert "Population density" not in page


def test_choropleth_is_one_geojson_layer_with_a_feature_per_populated_cell(
    inputs: SimpleNamespace,
) -> None:
    demand, sites, kpis = inputs.demand, inputs.sites, inputs.kpis
    page = map_html(plan_map(demand, sites, OPEN, kpis=kpis))
    populated = int((demand["population"] > 0).sum())
    # cells are polygons; catchments are polygons too (one per centre)
    n_polygons = len(_features(page, "Polygon")) + len(_features(page, "MultiPolygon"))
    assert n_polygons == populated + len(OPEN)
    assert "L.marker(" in page  # only the centres are DOM markers
    assert page.count("bindTooltip") >= 1


def test_simulated_faults_are_marked(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    page = map_html(plan_map(demand, sites, OPEN, language="en"))
    assert "Fault records are SIMULATED" in page
    zh = map_html(plan_map(demand, sites, OPEN))
    assert "故障记录为模拟数据" in zh
    # real faults (not simulated) and no simulated sites: no warning
    real_sites = sites.drop(columns="simulated")
    plain = map_html(plan_map(demand, real_sites, OPEN, language="en", simulated_layers=()))
    assert "SIMULATED" not in plain
    assert "Fault hotspots (simulated)" not in plain
    # a fault table with a `simulated` column is marked even if the caller forgot to say so
    faults = gpd.GeoDataFrame(
        {"simulated": [True, True]},
        geometry=shapely.points([114.26, 114.27], [30.56, 30.57]),
        crs=4326,
    )
    marked = map_html(
        plan_map(demand, real_sites, OPEN, faults=faults, simulated_layers=(), language="en")
    )
    assert "Fault records are SIMULATED" in marked


def test_simulated_existing_centres_mark_their_layer(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites.copy()
    sites["simulated"] = sites["existing"]  # only the existing centres are simulated
    page = map_html(plan_map(demand, sites, OPEN, language="en", simulated_layers=()))
    assert "Existing centres (kept / closed) (simulated)" in _overlay_names(page)
    assert "Simulated data: Existing centres (kept / closed)" in page
    assert "Some sites are SIMULATED" not in page


def test_simulated_sites_are_marked(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    assert "Some sites are SIMULATED" in map_html(plan_map(demand, sites, OPEN, language="en"))


def test_travel_note_and_attribution_are_shown(inputs: SimpleNamespace) -> None:
    demand, sites, tm, kpis = inputs.demand, inputs.sites, inputs.tm, inputs.kpis
    note_zh = travel_note_text(tm, "zh")
    assert "未使用路网" in note_zh
    assert "1.3" in note_zh
    note_en = travel_note_text(tm, "en")
    assert note_en == "Straight-line distance x detour factor 1.3 at 25 km/h, no road network"
    page = map_html(
        plan_map(
            demand,
            sites,
            OPEN,
            kpis=kpis,
            travel_note=note_en,
            attribution=["WorldPop (CC BY 4.0)", "© OpenStreetMap contributors <ODbL>"],
            language="en",
        )
    )
    assert note_en in page
    assert "WorldPop (CC BY 4.0)" in page
    # attribution is text, escaped before it goes into the page
    assert "\\u0026lt;ODbL\\u0026gt;" in page
    assert "<ODbL>" not in page


def test_user_text_cannot_break_out_of_the_script(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    evil = sites.copy()
    evil.loc[0, "name_en"] = "</script><script>alert(1)</script>"
    page = map_html(plan_map(demand, evil, OPEN, language="en", title="<b>x</b>"))
    assert "<script>alert(1)" not in page
    assert "</script><script>alert" not in page
    assert "<b>x</b>" not in page


def test_names_fall_back_to_the_other_language_then_the_id(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    s = sites.copy()
    s.loc[0, "name_en"] = None
    s = s.drop(columns="name_zh")
    s.loc[1, "name_en"] = ""
    page = map_html(plan_map(demand, s, OPEN, language="zh"))
    assert "1. s0" in page  # neither name: the site id
    assert "3. Zhongnan Hospital" in page  # no Chinese name: the English one


def test_allocation_lines_are_a_seeded_capped_sample(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    a = map_html(plan_map(demand, sites, OPEN, max_allocation_lines=7, seed=1))
    b = map_html(plan_map(demand, sites, OPEN, max_allocation_lines=7, seed=1))
    assert len(_features(a, "LineString")) == 7
    assert _features(a, "LineString") == _features(b, "LineString")
    none = map_html(plan_map(demand, sites, OPEN, max_allocation_lines=0))
    assert _features(none, "LineString") == []


def test_gcj02_basemap_shifts_every_layer(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    wgs = _points(map_html(plan_map(demand, sites, OPEN, basemap="osm")))
    gcj = _points(map_html(plan_map(demand, sites, OPEN, basemap="gaode")))
    assert wgs.shape == gcj.shape
    site_xy = shapely.get_coordinates(sites.geometry.values[OPEN])
    # the WGS 84 map holds the sites as they are, the GCJ-02 map holds them shifted
    glon, glat = wgs84_to_gcj02(site_xy[:, 0], site_xy[:, 1])
    for (x, y), (gx, gy) in zip(site_xy, np.column_stack([glon, glat]), strict=True):
        assert np.min(np.hypot(wgs[:, 0] - x, wgs[:, 1] - y)) < 1e-5
        assert np.min(np.hypot(gcj[:, 0] - gx, gcj[:, 1] - gy)) < 1e-5
        assert np.min(np.hypot(gcj[:, 0] - x, gcj[:, 1] - y)) > 1e-3  # a few hundred metres
    # polygons too: the first cell's corner
    wpoly = map_html(plan_map(demand, sites, OPEN, basemap="gaode"))
    corner = shapely.get_coordinates(demand["cell"].iloc[1])[0]
    gx, gy = wgs84_to_gcj02(corner[0], corner[1])
    assert f"[{float(np.round(gx, 5))},{float(np.round(gy, 5))}]" in wpoly
    assert "autonavi.com" in wpoly


def test_basemap_choices(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    custom = {
        "url": "https://tiles.example/{z}/{x}/{y}.png",
        "attribution": "Example tiles",
        "datum": "wgs84",
    }
    page = map_html(plan_map(demand, sites, OPEN, basemap=custom))
    assert "tiles.example" in page
    assert "Example tiles" in page
    none = map_html(plan_map(demand, sites, OPEN, basemap="none"))
    assert "L.tileLayer" not in none
    tdt = tianditu_basemap("abcdef0123456789", language="en")
    assert "tk=abcdef0123456789" in tdt.url
    assert "LAYER=vec" in tdt.url
    assert tdt.label_url is not None
    assert "LAYER=eva" in tdt.label_url
    page = map_html(plan_map(demand, sites, OPEN, basemap=tdt))
    assert "tianditu.gov.cn" in page
    assert "L.layerGroup([L.tileLayer" in page
    with pytest.raises(ConfigError, match="key"):
        plan_map(demand, sites, OPEN, basemap="tianditu")
    with pytest.raises(ConfigError, match="unknown `basemap`"):
        plan_map(demand, sites, OPEN, basemap="baidu")
    with pytest.raises(ConfigError, match="Baidu"):
        BaseMap(name="b", url="https://x/{z}/{x}/{y}", attribution="b", datum="bd09")
    with pytest.raises(ConfigError, match="key"):
        tianditu_basemap("not a key!")
    with pytest.raises(ConfigError, match="url"):
        plan_map(demand, sites, OPEN, basemap={"attribution": "x"})


# --- catchments ------------------------------------------------------------------------------


def test_catchments_dissolve_cells_into_one_polygon_per_centre(inputs: SimpleNamespace) -> None:
    demand, kpis = inputs.demand, inputs.kpis
    cat = catchment_polygons(demand, OPEN, kpis.assignment)
    assert cat["site"].tolist() == OPEN
    assert cat.crs.to_epsg() == 4326
    cells = np.asarray(demand["cell"].values)
    # areas in square degrees: the dissolve is planar in lon/lat, so these add up exactly
    for row in cat.itertuples():
        mine = kpis.assignment == row.site
        assert row.n_demand == int(mine.sum())
        assert row.population == pytest.approx(float(demand["population"][mine].sum()))
        assert row.geometry.geom_type == "Polygon"  # the fixture's catchments are contiguous
        assert row.geometry.area == pytest.approx(shapely.area(cells[mine]).sum(), rel=1e-9)
        same = shapely.union_all(cells[mine], grid_size=1e-7)
        assert shapely.symmetric_difference(row.geometry, same).area < 1e-12
    # catchments tile the study area without overlap
    assert shapely.union_all(cat.geometry.values).area == pytest.approx(
        shapely.area(cells).sum(), rel=1e-9
    )


def test_catchments_without_cells_buffer_the_points(inputs: SimpleNamespace) -> None:
    demand, sites, kpis = inputs.demand, inputs.sites, inputs.kpis
    pts = demand.drop(columns="cell")
    cat = catchment_polygons(pts, OPEN, kpis.assignment)
    assert len(cat) == 3
    for row in cat.itertuples():
        inside = shapely.contains(row.geometry, pts.geometry.values[kpis.assignment == row.site])
        assert inside.all()
    page = map_html(plan_map(pts, sites, OPEN, kpis=kpis))
    assert "circleMarker(ll,{renderer:r" in page  # the density layer draws points


def test_unassigned_rows_are_left_out_of_catchments(inputs: SimpleNamespace) -> None:
    demand, kpis = inputs.demand, inputs.kpis
    a = kpis.assignment.copy()
    a[:] = -1
    a[5] = 2
    cat = catchment_polygons(demand, OPEN, a)
    assert cat["site"].tolist() == [2]
    assert cat["n_demand"].tolist() == [1]


# --- plans given as solutions, and bad input ----------------------------------------------------


def _solution(open_sites: list[int], assignment: np.ndarray, status: str = "optimal") -> Solution:
    return Solution(
        open_sites=np.array(open_sites),
        assignment=assignment,
        objective=1.0,
        bound=1.0,
        gap=0.0,
        status=status,
        runtime_s=0.0,
        model="p_median",
        method="exact",
        solver="highs",
    )


def test_solution_assignment_draws_the_catchments(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    a = np.full(len(demand), 0)
    m = plan_map(demand, sites, _solution([0, 1], a), language="en")
    page = map_html(m)
    # every cell goes to site 0: one catchment only (besides one polygon per populated cell)
    populated = int((demand["population"] > 0).sum())
    assert len(_features(page, "Polygon")) + len(_features(page, "MultiPolygon")) == populated + 1
    with pytest.raises(InputError, match="no plan"):
        plan_map(demand, sites, _solution([], np.full(len(demand), -1), status="infeasible"))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ("no_crs", "no CRS"),
        ("no_population", "population"),
        ("bad_open", "outside"),
        ("bad_layer", "unknown layer keys"),
        ("bad_language", "language"),
        ("other_kpis", "another plan"),
        ("bad_radius", "service_radius_m"),
    ],
)
def test_bad_input_is_named(inputs: SimpleNamespace, change: str, match: str) -> None:
    demand, sites, base = inputs.demand, inputs.sites, inputs.base
    kwargs: dict[str, object] = {}
    open_sites: list[int] = OPEN
    if change == "no_crs":
        demand = demand.set_crs(None, allow_override=True)
    elif change == "no_population":
        demand = demand.drop(columns="population")
    elif change == "bad_open":
        open_sites = [0, 99]
    elif change == "bad_layer":
        kwargs["hidden_layers"] = ("roads",)
    elif change == "bad_language":
        kwargs["language"] = "de"
    elif change == "other_kpis":
        kwargs["kpis"] = base
    elif change == "bad_radius":
        kwargs["service_radius_m"] = -5.0
    with pytest.raises((InputError, ConfigError), match=match):
        plan_map(demand, sites, open_sites, **kwargs)  # type: ignore[arg-type]


def test_projected_input_is_reprojected(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    crs = demand.estimate_utm_crs()
    projected = demand.to_crs(crs)
    projected["cell"] = demand["cell"].to_crs(crs)
    a = map_html(plan_map(demand, sites, OPEN))
    b = map_html(plan_map(projected, sites.to_crs(crs), OPEN))
    pa, pb = _points(a), _points(b)
    assert np.allclose(pa, pb, atol=2e-5)


# --- standalone HTML ---------------------------------------------------------------------------


def test_standalone_html_inlines_every_asset(inputs: SimpleNamespace, tmp_path: Path) -> None:
    demand, sites, kpis = inputs.demand, inputs.sites, inputs.kpis
    m = plan_map(demand, sites, OPEN, kpis=kpis)
    out = save_map_html(m, tmp_path / "map.html")
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert "cdn.jsdelivr" not in page
    assert "jquery" not in page.lower()
    assert "Leaflet 1.9.4" in page  # leaflet.js banner
    assert "simpleheat" in page  # the heat plugin
    assert "url(data:image/png;base64," in page  # leaflet.css images inlined
    assert "sourceMappingURL" not in page
    assert list(tmp_path.iterdir()) == [out]


def test_unvendored_plugin_is_refused_and_nothing_is_written(
    inputs: SimpleNamespace, tmp_path: Path
) -> None:
    demand, sites = inputs.demand, inputs.sites
    m = plan_map(demand, sites, OPEN)
    folium.plugins.Fullscreen().add_to(m)
    with pytest.raises(InputError, match="not vendored"):
        save_map_html(m, tmp_path / "map.html")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match="does not exist"):
        save_map_html(plan_map(demand, sites, OPEN), tmp_path / "missing" / "map.html")


def test_folium_default_map_inlines_leaflet_but_refuses_the_rest() -> None:
    m = folium.Map(tiles=None)
    with pytest.raises(InputError, match="jquery"):
        map_html(m)
    only_leaflet = folium.Map(tiles=None)
    only_leaflet.default_js = [m.default_js[0]]  # leaflet 1.9.3 from folium's CDN -> our 1.9.4
    only_leaflet.default_css = [m.default_css[0]]
    assert "Leaflet 1.9.4" in map_html(only_leaflet)


def test_inline_assets_puts_the_vendored_files_in_the_links(inputs: SimpleNamespace) -> None:
    import base64

    demand, sites = inputs.demand, inputs.sites
    m = inline_assets(plan_map(demand, sites, OPEN))
    links = []

    def walk(element: Any) -> None:
        for attr in ("default_js", "default_css"):
            links.extend(url for _, url in getattr(element, attr, None) or [])
        for child in element._children.values():
            walk(child)

    walk(m)
    assert len(links) == 3  # Leaflet, its CSS, Leaflet.heat
    assert all(u.startswith(("data:text/javascript;", "data:text/css;")) for u in links)
    leaflet = base64.b64decode(links[0].split(",", 1)[1]).decode("utf-8")
    vendored = asset_files()["leaflet/leaflet.js"].read_text(encoding="utf-8")
    assert re.sub(r"^\s*//# sourceMappingURL=.*$", "", vendored, flags=re.MULTILINE) in leaflet
    css = next(base64.b64decode(u.split(",", 1)[1]).decode() for u in links if "text/css" in u)
    assert "url(data:image/png;base64," in css  # layer-control icons inlined too
    assert "https://" not in m.get_root().render().split("<body>")[0]  # no CDN in the head
    with pytest.raises(InputError, match="jquery"):
        inline_assets(folium.Map(tiles=None))  # folium's default jQuery is not vendored


def test_vendored_checksums_match_vendored_md() -> None:
    static = Path(__file__).resolve().parents[1] / "planner" / "present" / "static"
    text = (static / "VENDORED.md").read_text(encoding="utf-8")
    listed = re.findall(r"^([0-9a-f]{64})  (\S+)$", text, re.MULTILINE)
    assert len(listed) == 8
    for digest, rel in listed:
        assert hashlib.sha256((static / rel).read_bytes()).hexdigest() == digest, rel
    for lic in ("leaflet/LICENSE", "leaflet.heat/LICENSE"):
        assert "Redistribution and use" in (static / lic).read_text(encoding="utf-8")


# --- site robustness layer ------------------------------------------------------------------------

FREQUENCY = {"s0": 1.0, "s1": 0.87, "s3": 0.25, "s5": 0.004}  # s2 (open) and s4 never chosen


def _robustness_features(page: str) -> list[dict[str, object]]:
    """The features of the robustness layer (one GeoJSON FeatureCollection in the page)."""
    marker = page.find("className:'planner-robustness'")
    assert marker > 0, "no robustness layer"
    start = page.rfind("L.geoJSON(", 0, marker) + len("L.geoJSON(")
    collection, _ = json.JSONDecoder().raw_decode(page, start)
    return list(collection["features"])


def test_robustness_layer_draws_every_site_chosen_in_a_draw(inputs: SimpleNamespace) -> None:
    demand, sites, kpis = inputs.demand, inputs.sites, inputs.kpis
    page = map_html(
        plan_map(demand, sites, OPEN, kpis=kpis, site_frequency=FREQUENCY, language="en")
    )
    names = _overlay_names(page)
    # one layer, between the allocation lines and the site layers
    assert names.index("Site robustness") == names.index("Allocation lines (sample)") + 1
    assert names.count("Site robustness") == 1
    feats = _robustness_features(page)
    # most frequent first (small circles drawn on top)
    tips = [str(f["properties"]["t"]) for f in feats]  # type: ignore[index]
    assert tips == [
        "<b>Guanggu Plaza</b><br>chosen in 100% of draws",
        "<b>Jianghan Rd</b><br>chosen in 87% of draws",
        "<b>Library</b><br>chosen in 25% of draws<br><i>not in this plan</i>",
        "<b>Han Street</b><br>chosen in 1% of draws<br><i>not in this plan</i>",  # never "0%"
    ]
    coords = np.array([f["geometry"]["coordinates"] for f in feats])  # type: ignore[index]
    expected = shapely.get_coordinates(sites.geometry.values[[0, 1, 3, 5]])
    np.testing.assert_allclose(coords, expected, atol=1e-5)
    radius = [f["properties"]["r"] for f in feats]  # type: ignore[index]
    assert radius == sorted(radius, reverse=True)
    assert radius[-1] > 0
    colours = [f["properties"]["c"] for f in feats]  # type: ignore[index]
    # classes [0.8, 1], [0.8, 1], [0.2, 0.4), [0, 0.2) of a light-to-dark ramp
    assert colours == ["#6e016b", "#6e016b", "#8c96c6", "#9ebcda"]
    # legend entry and the frequency in the chosen centres' popups
    assert "Site robustness\\u003c/b\\u003e (share of draws choosing the site)" in page
    assert "\\u003e≥ 80%\\u003c" in page
    assert "Site robustness\\u003c/td\\u003e\\u003ctd\\u003echosen in 87% of draws" in page
    assert "chosen in 0% of draws" in page  # open site s2, never chosen in a draw


def test_robustness_layer_takes_a_series_and_speaks_chinese(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    series = pd.Series(FREQUENCY)
    a = _robustness_features(map_html(plan_map(demand, sites, OPEN, site_frequency=series)))
    b = _robustness_features(map_html(plan_map(demand, sites, OPEN, site_frequency=FREQUENCY)))
    assert a == b
    assert a[1]["properties"]["t"] == "<b>江汉路</b><br>87%的抽样中被选中"  # type: ignore[index]
    assert "选址稳健性" in _overlay_names(
        map_html(plan_map(demand, sites, OPEN, site_frequency=series))
    )


def test_robustness_layer_is_absent_without_frequencies_and_can_start_hidden(
    inputs: SimpleNamespace,
) -> None:
    demand, sites = inputs.demand, inputs.sites
    plain = map_html(plan_map(demand, sites, OPEN, language="en"))
    assert "planner-robustness" not in plain
    assert "Site robustness" not in plain
    m = plan_map(
        demand,
        sites,
        OPEN,
        site_frequency=FREQUENCY,
        hidden_layers=("robustness",),
        language="en",
    )
    page = map_html(m)
    assert "Site robustness" in _overlay_names(page)
    layer = re.search(r"var (planner_layer_\w+) = L\.geoJSON\([^\n]*planner-robustness", page)
    assert layer is not None
    assert f"{layer.group(1)}.addTo(" not in page  # in the layer control, switched off


def test_robustness_layer_is_shifted_with_a_gcj02_basemap(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    page = map_html(plan_map(demand, sites, OPEN, site_frequency={"s3": 0.5}, basemap="gaode"))
    (feat,) = _robustness_features(page)
    lon, lat = wgs84_to_gcj02(*shapely.get_coordinates(sites.geometry.values[[3]]).T)
    np.testing.assert_allclose(feat["geometry"]["coordinates"], [lon[0], lat[0]], atol=1e-5)  # type: ignore[index]


@pytest.mark.parametrize(
    ("frequency", "message"),
    [
        ({"nope": 0.5}, "not in `sites`"),
        ({"s0": 1.5}, r"site_frequency\['s0'\].*between 0 and 1"),
        ({"s0": float("nan")}, "between 0 and 1"),
        ({"s0": "often"}, "between 0 and 1"),
        ([0.5, 0.2], "must map site_id"),
    ],
)
def test_bad_site_frequency_is_named(
    inputs: SimpleNamespace, frequency: object, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        plan_map(inputs.demand, inputs.sites, OPEN, site_frequency=frequency)  # type: ignore[arg-type]


def test_demand_and_sites_must_be_points(inputs: SimpleNamespace) -> None:
    demand, sites = inputs.demand, inputs.sites
    cells = demand.set_geometry(shapely.buffer(demand.geometry.to_numpy(), 0.001))
    with pytest.raises(InputError, match="`demand` must hold Point geometries"):
        plan_map(cells, sites, OPEN)
    squares = sites.set_geometry(shapely.buffer(sites.geometry.to_numpy(), 0.001))
    with pytest.raises(InputError, match="`sites` must hold Point geometries"):
        plan_map(demand, squares, OPEN)
