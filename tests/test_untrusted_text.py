"""User text is data, never code: template payloads in every name field stay literal.

folium/branca compile every map element's rendered output as a new Jinja template,
so a site name such as ``{{ 7*7 }}`` used to show as 49, a name reaching Python
globals ran on the server and ``{#1 Mall`` crashed the run after the solve. These
tests put payloads in every field a user controls -- site, centre and demand ids,
names in both languages, categories, the scenario's title, description and
attribution -- and check the map, the report, the app's maps and the app's pages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2.utils
import markupsafe
import pytest
from scenario_fixtures import SCENARIO, write_tiny_data

from planner.cli import main
from planner.sanitize import html_text, markdown_text

#: Payload -> what it turns into if a template engine evaluates it. Each marker is
#: absent from the literal payload, so finding it in an output means evaluation.
PAYLOADS: dict[str, str] = {
    '{{ "pw" ~ "ned" }}': "pwned",
    '{% for x in "ab" %}{{ x }}Z{% endfor %}': "aZbZ",
    "{{ cycler.__init__.__globals__.os.path.join('pw', 'n3d') }}": "pw/n3d",
    "营业厅 {{ 7*7 }}": "营业厅 49",
    "{#1 Mall": "",  # a syntax error if parsed
    "</script><script>window.pwn=1</script>": "",
    'O\'Brien "quoted" \\ back\\slash {%': "",
    '=HYPERLINK("http://x") 广场': "",
}
TEXTS = list(PAYLOADS)
MARKERS = [m for m in PAYLOADS.values() if m]


def _payload_scenario(folder: Path, language: str = "en") -> Path:
    """The tiny scenario with a payload in every user-controlled text field."""
    folder.mkdir(parents=True, exist_ok=True)
    gpkg = write_tiny_data(folder)
    n = len(TEXTS)

    def cycle(k: int, offset: int) -> list[str]:
        return [TEXTS[(i + offset) % n] for i in range(k)]

    cand = gpd.read_file(gpkg, layer="candidate_sites")
    k = len(cand)
    cand["site_id"] = [f"{s} #{i}" for i, s in enumerate(cycle(k, 0))]
    cand["name_zh"] = cycle(k, 1)
    cand["name_en"] = cycle(k, 2)
    cand["category"] = cycle(k, 3)
    cand.to_file(gpkg, layer="candidate_sites", driver="GPKG")
    ex = gpd.read_file(gpkg, layer="existing_centres")
    ex["centre_id"] = [f"{s} E{i}" for i, s in enumerate(cycle(len(ex), 4))]
    ex["name_zh"] = cycle(len(ex), 5)
    ex["name_en"] = cycle(len(ex), 6)
    ex.to_file(gpkg, layer="existing_centres", driver="GPKG")
    for layer in ("population", "residential"):
        cells = gpd.read_file(gpkg, layer=layer)
        cells["cell_id"] = [f"{s} c{i}" for i, s in enumerate(cycle(len(cells), 7))]
        cells.to_file(gpkg, layer=layer, driver="GPKG")

    def toml(s: str) -> str:
        return json.dumps(s, ensure_ascii=False)  # a TOML basic string is a JSON string

    text = SCENARIO.replace(
        'title = "Tiny synthetic scenario (tests)"',
        f"title = {toml(TEXTS[0] + ' ' + TEXTS[3])}\ndescription = {toml(TEXTS[1] + TEXTS[4])}",
    ).replace('language = "en"', f'language = "{language}"')
    text = text.replace(
        'layer = "population"\n',
        f'layer = "population"\nattribution = {toml(TEXTS[2] + " " + TEXTS[5])}\n',
    )
    path = folder / "payload.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _assert_inert(page: str, where: str) -> None:
    for marker in MARKERS:
        assert marker not in page, f"{where}: a payload was evaluated ({marker!r})"
    low = page.lower()
    assert "window.pwn" not in low or low.count("</script") == low.count("<script"), where


def _in_map(text: str, page: str) -> bool:
    """``text`` shown as a name inside the map's JavaScript (escaped HTML in a JSON string)."""
    from planner.present.maps.elements import js_literal

    return js_literal(html_text(text))[1:-1] in page


@pytest.fixture(scope="module")
def payload_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("payload")
    scenario = _payload_scenario(folder)
    assert main(["run", str(scenario), "--out", str(folder / "out"), "--quiet"]) == 0
    return folder / "out"


def test_map_shows_every_payload_literally(payload_run: Path) -> None:
    page = (payload_run / "map.html").read_text(encoding="utf-8")
    _assert_inert(page, "map.html")
    # candidate popups hold every name, id and category; the title and attribution too
    for text in TEXTS:
        assert _in_map(text, page), f"{text!r} is not shown as written in map.html"
    assert _in_map(TEXTS[0] + " " + TEXTS[3], page)  # the title
    assert _in_map(TEXTS[2] + " " + TEXTS[5], page)  # the attribution


def test_report_shows_every_payload_literally(payload_run: Path) -> None:
    page = (payload_run / "report.html").read_text(encoding="utf-8")
    _assert_inert(page, "report.html")
    title = TEXTS[0] + " " + TEXTS[3]
    assert f"<h1>{markupsafe.escape(title)}</h1>" in page
    assert str(markupsafe.escape(TEXTS[1] + TEXTS[4])) in page  # description, in parameters
    assert f"<li>{markupsafe.escape(TEXTS[2] + ' ' + TEXTS[5])}</li>" in page  # attribution
    chosen = json.loads((payload_run / "kpis.json").read_text(encoding="utf-8"))["open_site_ids"]
    for site_id in chosen:
        assert site_id in TEXTS or any(site_id.startswith(t) for t in TEXTS)
    # the report's site table shows the chosen sites' English names as written
    names = gpd.read_file(payload_run / "chosen_sites.geojson")["name_en"].dropna()
    assert len(names) > 0
    for name in names:
        assert str(markupsafe.escape(name)) in page


def test_chinese_map_and_report_are_inert(tmp_path: Path) -> None:
    scenario = _payload_scenario(tmp_path, language="zh")
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    for name in ("map.html", "report.html"):
        _assert_inert((tmp_path / "out" / name).read_text(encoding="utf-8"), name)


def test_every_map_element_renders_in_one_template_pass(tmp_path: Path) -> None:
    """Guard: a new folium element with user text must use the single-pass render."""
    from branca.element import MacroElement
    from folium import Map
    from folium.elements import ElementAddToElement

    from planner.present.maps import plan_map
    from planner.present.maps.elements import DecorElement, JsLayer, PlainLayerControl
    from planner.runs.pipeline import run_scenario

    result = run_scenario(_payload_scenario(tmp_path))
    m = plan_map(result.inputs.demand, result.inputs.sites, result.solution)
    # folium's own elements whose templates hold only our ids and numbers
    trusted = (Map, ElementAddToElement)

    def walk(element: Any) -> None:
        if isinstance(element, MacroElement):
            assert isinstance(element, (DecorElement, JsLayer, PlainLayerControl, *trusted)), type(
                element
            )
        for child in element._children.values():
            walk(child)

    walk(m)


def test_app_maps_show_payloads_as_text(tmp_path: Path) -> None:
    from planner.app import maps as app_maps
    from planner.present.maps import map_html
    from planner.runs.pipeline import load_inputs

    scenario = _payload_scenario(tmp_path)
    from planner.runs.config import load_scenario

    inputs = load_inputs(load_scenario(scenario))
    page = map_html(app_maps.inputs_map(inputs, "en"))
    _assert_inert(page, "inputs map")
    sites = inputs.sites
    cands = sites[~sites["existing"].to_numpy(dtype=bool)]
    existing = sites[sites["existing"].to_numpy(dtype=bool)]
    clickable = app_maps.sites_map(cands, [cands["site_id"].iloc[0]], "en", existing=existing)
    page2 = clickable.get_root().render()
    _assert_inert(page2, "sites map")
    for text in TEXTS:
        shown = str(jinja2.utils.htmlsafe_json_dumps(html_text(text)))[1:-1]
        assert shown in page + page2, f"{text!r} is not shown as written in the app's maps"


def test_markdown_text_renders_literally() -> None:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    for text in [*TEXTS, "*bold* _it_ `code` [a](http://x) ![i](http://x/i.png)", "- item", "1. x"]:
        rendered = md.renderInline(markdown_text(text))
        assert rendered == str(markupsafe.escape(text)).replace("&#39;", "'").replace(
            "&#34;", "&quot;"
        )


def test_app_pages_keep_payloads_inert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    scenario = _payload_scenario(tmp_path / "demo")
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(scenario))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(tmp_path / "library"))
    app = str(Path(__file__).resolve().parent.parent / "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # the first page's data summary names the sources as written (escaped Markdown)
    attribution = TEXTS[2] + " " + TEXTS[5]
    assert any(markdown_text(attribution) in str(c.value) for c in at.caption)
    at.button(key="run_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["step"] == "results"
    assert [e.value for e in at.error] == []
    texts = [str(e.value) for e in (*at.markdown, *at.caption, *at.warning, *at.title)]
    for element in at.get("iframe"):
        texts.append(str(element.proto))  # the result map's page
    assert any("pw" in t for t in texts)  # the title / attribution are on the page
    for text in texts:
        for marker in MARKERS:
            assert marker not in text
    # every table's toolbar offers a CSV download (written by the browser, unsanitised)
    tables = list(at.dataframe)
    assert tables
    from planner.app.views.common import SIGNED_QUANTITY

    for table in tables:
        cells = _formula_cells(table.value.to_csv(index=False).encode())
        assert [c for c in cells if not SIGNED_QUANTITY.fullmatch(c)] == []


def test_app_tables_neutralise_formulas_but_keep_signed_quantities() -> None:
    import pandas as pd

    from planner.app.views.common import table_safe_frame

    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x") 广场', "-1+cmd|' /C calc'!A0", "@SUM(A1)", "营业厅"],
            "change": ["+0.8 pp", "-2.5 min", "+3 %", "+12 人"],
            "n": [1, 2, 3, 4],
        }
    )
    shown = table_safe_frame(frame)
    assert shown["name"].tolist() == [
        '\'=HYPERLINK("http://x") 广场',
        "'-1+cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "营业厅",
    ]
    assert shown["change"].tolist() == frame["change"].tolist()
    assert shown["n"].tolist() == [1, 2, 3, 4]


# --------------------------------------------------------------------------------------
# spreadsheet formulas (OWASP CSV injection)


def _formula_cells(data: bytes) -> list[str]:
    """Cells a spreadsheet would read as a formula (text starting =, +, -, @, tab, CR)."""
    import csv
    import io

    from planner.sanitize import FORMULA_PREFIXES

    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    bad = []
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_PREFIXES):
                try:
                    float(cell)
                except ValueError:
                    bad.append(cell)
    return bad


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.5", "-12.5"),  # a number written as text stays a number
        ("+3e2", "+3e2"),
        ("营业厅 =1", "营业厅 =1"),
        ("", ""),
        (-4, -4),
        (None, None),
    ],
)
def test_csv_cell(cell: Any, expected: Any) -> None:
    from planner.sanitize import csv_cell

    assert csv_cell(cell) == expected


def test_csv_safe_frame_keeps_numbers_and_fixes_text() -> None:
    import pandas as pd

    from planner.sanitize import csv_bytes, csv_safe_frame

    frame = pd.DataFrame(
        {"id": ["=1+1", "ok", "-3"], "x": [-1.5, 2.0, -3.0], "=col": [True, False, True]},
        index=pd.Index(["@a", "b", "c"], name="k"),
    )
    safe = csv_safe_frame(frame)
    assert safe["id"].tolist() == ["'=1+1", "ok", "-3"]
    assert safe["x"].tolist() == [-1.5, 2.0, -3.0]
    assert safe["x"].dtype == float
    assert list(safe.columns) == ["id", "x", "'=col"]
    assert safe.index.tolist() == ["'@a", "b", "c"]
    assert frame["id"].tolist() == ["=1+1", "ok", "-3"]  # the caller's frame is untouched
    data = csv_bytes(frame, index=True)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese names
    assert _formula_cells(data) == []
    assert b"-1.5" in data


def test_assignment_csv_has_no_formula_cells(payload_run: Path) -> None:
    data = (payload_run / "assignment.csv").read_bytes()
    assert _formula_cells(data) == []
    assert "'=HYPERLINK(" in data.decode("utf-8-sig")  # the names are kept, made inert


def test_app_csv_downloads_have_no_formula_cells(tmp_path: Path) -> None:
    from planner.app import downloads
    from planner.app import run as app_run
    from planner.app import state as app_state
    from planner.runs.config import load_scenario
    from planner.runs.pipeline import load_inputs

    config = load_scenario(_payload_scenario(tmp_path))
    run = app_run.solve_run(load_inputs(config), config, key=app_state.run_key(config))
    files = downloads.download_files(run, "en")
    for key in ("assignment", "sites"):
        data = files[key][2]()
        assert _formula_cells(data) == [], key


def test_every_csv_the_planner_writes_goes_through_the_sanitizer() -> None:
    """Guard: a new ``to_csv`` call must use planner.sanitize.write_csv / csv_bytes."""
    package = Path(__file__).resolve().parent.parent / "planner"
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "sanitize.py" and ".to_csv(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_every_app_table_is_spreadsheet_safe() -> None:
    """Guard: st.dataframe's toolbar downloads CSV without neutralising formulas, so the
    app shows tables through planner.app.views.common.show_table."""
    package = Path(__file__).resolve().parent.parent / "planner" / "app"
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "common.py"
        and (
            "st.dataframe(" in (text := path.read_text(encoding="utf-8"))
            or "st.data_editor(" in text
        )
    ]
    assert offenders == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_closed_centres_line_is_escaped_markdown(lang: str) -> None:
    """The line under the app's headline names closed centres; as Markdown, a name such
    as ``![x](http://...)`` loaded an image from any server in every viewer's browser."""
    from types import SimpleNamespace

    import pandas as pd

    from planner.app.tables import centres_text

    payload = "![t](http://127.0.0.1:9/track.png) [a](javascript:alert(1)) :red[x] $x^2$"
    sites = pd.DataFrame(
        {
            "site_id": ["E1", "*E2*", "S1"],
            "name_zh": [payload, "营业厅_一_", "新"],
            "name_en": [payload, "_Hall_", "new"],
            "existing": [True, True, False],
        }
    )
    run = SimpleNamespace(
        result=SimpleNamespace(inputs=SimpleNamespace(sites=sites)),
        solution=SimpleNamespace(open_sites=[2], objective=1.0),
        config=SimpleNamespace(model=SimpleNamespace(name="p_median")),
    )
    text = centres_text(run, lang)  # type: ignore[arg-type]
    assert markdown_text(f"E1 {payload}") in text
    assert "](" not in text.replace("\\]\\(", "").replace("\\](", "")
    assert "![" not in text
    assert "\\*E2\\*" in text


def test_uploaded_file_name_is_shown_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The browser names an upload; the caption under the uploader showed that name as
    Markdown (an image from any server, a link, colours)."""
    from streamlit.testing.v1 import AppTest

    scenario = _payload_scenario(tmp_path / "demo")
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(scenario))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(tmp_path / "library"))
    name = "![t](http://127.0.0.1:9/t.png) [a](javascript:x) :red[**b**] $x$.gpkg"
    app = str(Path(__file__).resolve().parent.parent / "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.run()
    at.session_state["data_source"] = "upload"
    at.session_state["upload_population"] = {
        "path": str(tmp_path / "demo" / "tiny.gpkg"),
        "name": name,
        "size": 1000,
        "layers": ["population", "residential"],
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    captions = [str(c.value) for c in at.caption]
    assert any(markdown_text(name) in c for c in captions), captions
    assert not any("![t](" in c or "[a](" in c for c in captions)
