"""Big maps: density and fault heat as PNG overlays, simplified catchments."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from map_fixtures import make_inputs
from PIL import Image

from planner.inputs.datums import wgs84_to_gcj02
from planner.present.maps import layers, map_html, plan_map, save_map_html
from planner.present.maps.raster import (
    _lat,
    _merc_x,
    _merc_y,
    class_image,
    group_image,
    heat_image,
    png_indexed,
)

PALETTE = [(0, 0, 0, 0), (255, 0, 0, 140), (0, 0, 255, 200)]


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_png_indexed_decodes_to_the_palette_colours() -> None:
    index = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    rgba = _decode(png_indexed(index, PALETTE))
    assert rgba.shape == (2, 3, 4)
    for (r, c), k in np.ndenumerate(index):
        assert tuple(rgba[r, c]) == PALETTE[k]


@pytest.mark.parametrize(
    ("index", "palette", "message"),
    [
        (np.zeros((0, 3)), PALETTE, "non-empty"),
        (np.array([[3]]), PALETTE, "outside"),
        (np.array([[0]]), [], "1 to 256"),
    ],
)
def test_png_indexed_refuses_bad_input(index: np.ndarray, palette: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        png_indexed(index, palette)


def _pixel(image: object, lon: float, lat: float) -> tuple[int, int]:
    (south, west), (north, east) = image.bounds  # type: ignore[attr-defined]
    w, h = image.width, image.height  # type: ignore[attr-defined]
    x = (_merc_x(np.array(lon)) - _merc_x(np.array(west))) / (
        _merc_x(np.array(east)) - _merc_x(np.array(west))
    )
    y = (_merc_y(np.array(north)) - _merc_y(np.array(lat))) / (
        _merc_y(np.array(north)) - _merc_y(np.array(south))
    )
    return int(y * h), int(x * w)


def test_class_image_puts_each_cell_under_its_own_place_in_mercator() -> None:
    # a 40 x 30 grid of 0.01 degree cells spanning 0.3 degrees of latitude (mercator
    # stretches the north more than the south: a linear lat/lon image would be off)
    ix, iy = np.meshgrid(np.arange(40), np.arange(30))
    minx, miny = 114.0 + 0.01 * ix.ravel(), 30.0 + 0.01 * iy.ravel()
    bounds = np.column_stack([minx, miny, minx + 0.01, miny + 0.01])
    classes = (ix.ravel() + iy.ravel()) % 3  # 0 = not drawn
    image = class_image(bounds, classes, PALETTE, supersample=3)
    rgba = _decode(image.png)
    assert rgba.shape[:2] == (image.height, image.width)
    (south, west), (north, _east) = image.bounds
    assert west == pytest.approx(114.0)
    assert north == pytest.approx(30.3)
    assert south == pytest.approx(30.0, abs=0.004)
    for k in range(0, 1200, 37):
        r, c = _pixel(image, minx[k] + 0.005, miny[k] + 0.005)
        assert tuple(rgba[r, c]) == PALETTE[classes[k]], k


def test_class_image_fits_the_longest_side() -> None:
    minx = 100.0 + 0.001 * np.arange(5000)
    bounds = np.column_stack([minx, np.full(5000, 30.0), minx + 0.001, np.full(5000, 30.001)])
    image = class_image(bounds, np.ones(5000, dtype=int), PALETTE, max_side=1000)
    assert image.width == 1000
    assert _decode(image.png)[..., 3].max() == PALETTE[1][3]


def test_heat_image_is_hottest_at_the_records_and_clear_far_away() -> None:
    rng = np.random.default_rng(1)
    lon = np.concatenate([np.full(500, 114.30), 114.0 + rng.random(200) * 0.6])
    lat = np.concatenate([np.full(500, 30.60), 30.3 + rng.random(200) * 0.6])
    image = heat_image(lon, lat, np.ones(lon.size))
    rgba = _decode(image.png)
    r, c = _pixel(image, 114.30, 30.60)
    hot = rgba[r, c]
    assert hot[0] == 255  # red: saturated
    assert hot[2] == 0
    assert rgba[0, 0, 3] == 0  # the padded corner stays transparent
    with pytest.raises(ValueError, match="positive weight"):
        heat_image(lon, lat, np.zeros(lon.size))


def _overlays(html: str) -> list[tuple[str, list[list[float]]]]:
    found = re.findall(
        r'L\.imageOverlay\("(data:image/png;base64,[^"]+)",(\[\[[^\]]+\],\[[^\]]+\]\])', html
    )
    return [(url, json.loads(b)) for url, b in found]


@pytest.fixture
def big(monkeypatch: pytest.MonkeyPatch) -> tuple:
    # the thresholds lowered so that a small grid counts as big
    monkeypatch.setattr(layers, "POLYGON_MAX_CELLS", 10)
    monkeypatch.setattr(layers, "HEAT_MAX_POINTS", 10)
    demand, sites = make_inputs(nx=12, ny=10)
    demand["fault_intensity"] = np.arange(len(demand)) % 4
    return demand, sites


def test_a_big_map_draws_density_and_heat_as_images(big: tuple) -> None:
    demand, sites = big
    html = map_html(plan_map(demand, sites, [0, 2, 3], language="en"))
    images = _overlays(html)
    assert len(images) == 3  # density, heat, catchments
    assert "L.heatLayer(" not in html.split("</script>", 3)[-1]
    # no polygon per cell (120 cells): Leaflet's own mentions only
    assert html.count('"Polygon"') + html.count('"MultiPolygon"') <= 10
    density = _decode(base64.b64decode(images[0][0].split(",", 1)[1]))
    assert (density[..., 3] > 0).any()
    # the legend still explains the density classes and the heat map
    assert "Fault" in html


def test_a_big_map_on_gcj02_tiles_shifts_the_images(big: tuple) -> None:
    demand, sites = big
    plain = _overlays(map_html(plan_map(demand, sites, [0, 2], basemap="osm")))
    gaode = _overlays(map_html(plan_map(demand, sites, [0, 2], basemap="gaode")))
    (_, w0), (n0, _) = plain[0][1]
    (_, w1), (n1, _) = gaode[0][1]
    lon, lat = wgs84_to_gcj02(np.array([w0]), np.array([n0]))
    # the density image moves with the GCJ-02 offset (about 500 m in Wuhan), to a pixel
    assert w1 == pytest.approx(float(lon[0]), abs=2e-4)
    assert n1 == pytest.approx(float(lat[0]), abs=2e-4)
    assert abs(w1 - w0) > 3e-3


def test_a_big_map_draws_the_catchments_as_an_image_with_outlines(big: tuple) -> None:
    demand, sites = big
    html = map_html(plan_map(demand, sites, [0, 2, 3], language="en"))
    images = _overlays(html)
    assert len(images) == 3  # density, heat, catchments
    catch = _decode(base64.b64decode(images[2][0].split(",", 1)[1]))
    alphas = set(np.unique(catch[..., 3]).tolist())
    assert alphas == {0, 46, 230}  # empty, fill, outline


def test_group_image_outlines_where_groups_meet() -> None:
    # two groups side by side, 4 x 2 cells each
    ix, iy = np.meshgrid(np.arange(8), np.arange(2))
    minx, miny = 114.0 + 0.01 * ix.ravel(), 30.0 + 0.01 * iy.ravel()
    bounds = np.column_stack([minx, miny, minx + 0.01, miny + 0.01])
    group = (ix.ravel() >= 4).astype(int)
    group[0] = -1  # not drawn
    image = group_image(bounds, group, [(255, 0, 0), (0, 0, 255)], supersample=4)
    rgba = _decode(image.png)
    r, c = _pixel(image, 114.025, 30.005)  # inside group 0, away from edges
    assert tuple(rgba[r, c]) == (255, 0, 0, 46)
    r, c = _pixel(image, 114.0399, 30.01)  # on the border with group 1
    assert tuple(rgba[r, c]) == (255, 0, 0, 230)
    r, c = _pixel(image, 114.065, 30.005)
    assert tuple(rgba[r, c]) == (0, 0, 255, 46)
    r, c = _pixel(image, 114.005, 30.005)  # the undrawn cell
    assert rgba[r, c, 3] == 0


def test_small_maps_keep_their_polygons_with_tooltips() -> None:
    demand, sites = make_inputs()
    html = map_html(plan_map(demand, sites, [0, 2], language="en"))
    assert "L.imageOverlay(" not in html
    assert html.count('"Polygon"') >= len(demand)


def test_lat_inverts_mercator() -> None:
    for lat in (-60.0, 0.0, 30.5, 70.0):
        assert _lat(float(_merc_y(np.array(lat)))) == pytest.approx(lat)


@pytest.mark.browser
def test_a_big_map_draws_its_images_in_chromium(big: tuple, browser: Any, tmp_path: Path) -> None:
    demand, sites = big
    path = save_map_html(plan_map(demand, sites, [0, 2, 3], language="en"), tmp_path / "map.html")
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route(
        "**/*",
        lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort(),
    )
    page.goto(path.resolve().as_uri())
    page.wait_for_selector(".planner-centre", timeout=10_000)
    imgs = page.locator("img.leaflet-image-layer")
    assert imgs.count() == 3
    # both images decoded and laid out over the data (not zero-sized)
    sizes = imgs.evaluate_all(
        "els => els.map(e => [e.naturalWidth, e.getBoundingClientRect().width])"
    )
    assert all(nat > 0 and shown > 0 for nat, shown in sizes)
    assert errors == []
    page.close()


def _app_inputs(nx: int, ny: int) -> Any:
    from types import SimpleNamespace

    demand, sites = make_inputs(nx=nx, ny=ny)
    demand["weight"] = demand["population"]
    demand["is_hotspot"] = False
    demand.loc[demand.index[:3], "is_hotspot"] = True
    return SimpleNamespace(demand=demand, sites=sites)


def _folium_overlays(html: str) -> list[list[list[float]]]:
    found = re.findall(
        r'L\.imageOverlay\(\s*"data:image/png;base64,[^"]+",\s*(\[\[[^\]]+\],\s*\[[^\]]+\]\])', html
    )
    return [json.loads(b) for b in found]


def test_the_apps_big_inputs_map_draws_the_demand_as_one_image() -> None:
    from planner.app import maps as app_maps
    from planner.present.maps.raster import POLYGON_MAX_CELLS

    inputs = _app_inputs(150, 135)
    assert len(inputs.demand) > POLYGON_MAX_CELLS
    html = map_html(app_maps.inputs_map(inputs, "en"))
    (plain,) = _folium_overlays(html)
    # only the three hotspots are drawn one by one (their red outlines)
    assert html.count('"type": "Polygon"') == 3
    assert "Demand weight" in html  # the legend still explains the classes
    (gaode,) = _folium_overlays(map_html(app_maps.inputs_map(inputs, "en", basemap="gaode")))
    (_, w0), (n0, _) = plain
    (_, w1), (n1, _) = gaode
    lon, lat = wgs84_to_gcj02(np.array([w0]), np.array([n0]))
    assert w1 == pytest.approx(float(lon[0]), abs=2e-4)  # shifted to GCJ-02
    assert n1 == pytest.approx(float(lat[0]), abs=2e-4)
    assert abs(w1 - w0) > 3e-3


def test_the_apps_small_inputs_map_keeps_one_polygon_per_cell() -> None:
    from planner.app import maps as app_maps

    inputs = _app_inputs(6, 5)
    html = map_html(app_maps.inputs_map(inputs, "en"))
    assert "L.imageOverlay(" not in html
    assert html.count('"type": "Polygon"') == len(inputs.demand)
