"""An uploaded file the app cannot read is said in the page's language and the planner's
words: which upload, which file (by its own name), which field and what to do there, never
the scenario file's keys (``lon_col=``, ``encoding=``, ``layer=``, ``data.population``) or
the session's private folder."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from scenario_fixtures import write_tiny_scenario
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
UPLOADS = Path(__file__).resolve().parent / "data" / "uploads"

#: What the scenario file says and a planner in the app never sees.
SCENARIO_WORDS = re.compile(
    r"lon_col|lat_col|encoding=|layer=|`crs|data\.\w|setting `|id_col|planner-session-|planner-shp-"
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    scenario = write_tiny_scenario(tmp_path / "demo")
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(scenario))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(tmp_path / "library"))
    monkeypatch.delenv("PLANNER_MAX_UPLOAD_MB", raising=False)
    return tmp_path


def new_app(lang: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.radio(key="lang").set_value(lang).run()
    at.radio(key="data_source").set_value("upload").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, slot: str, name: str, data: bytes) -> AppTest:
    key = f"{slot}_uploader_n"
    n = at.session_state[key] if key in at.session_state else 0  # noqa: SIM401 (no .get)
    at.file_uploader(key=f"up_{slot}_{n}").set_value((name, data, "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def red(at: AppTest) -> str:
    """Every error box of the page and the sidebar."""
    return " | ".join(str(e.value) for e in [*at.main.error, *at.sidebar.error])


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


#: (upload slot, file name, content) -> (English words, Chinese words) the page must say.
CASES = {
    "bad zip": (
        ("population", "cells.zip", b"PK\x03\x04 not really a zip"),
        (
            "cells.zip is not a valid zip file. Zip the Shapefile's",
            "cells.zip 不是有效的 zip 压缩包",
        ),
    ),
    "missing .shp part": (
        ("population", "cells.zip", (UPLOADS / "missing_dbf.zip").read_bytes()),
        (
            "lacks its .dbf file(s). Add them to the zip",
            "缺少 .dbf 文件。请把这些文件一起放进压缩包",
        ),
    ),
    # (a file of another type the uploader refuses by itself, in the browser's words)
    "format not its type": (
        ("candidates", "sites.geojson", b"id,lon,lat\n1,114.3,30.6\n"),
        (
            "The content of sites.geojson does not match its file type",
            "sites.geojson 的内容与其扩展名不符",
        ),
    ),
    "GDAL VRT as a layer": (
        (
            "population",
            "cells.geojson",
            b'<OGRVRTDataSource><OGRVRTLayer name="x"/></OGRVRTDataSource>',
        ),
        ("cells.geojson is not a layer but a GDAL VRT", "cells.geojson 不是图层，而是 GDAL VRT"),
    ),
    "GDAL virtual path": (
        ("population", "cells.zip", _zip({"cells.vrt": b"<OGRVRTDataSource/>"})),
        (
            "cells.vrt is not accepted (it points to data elsewhere",
            "cells.vrt 不予读取（指向其他位置的数据",
        ),
    ),
    "empty layer": (
        ("population", "cells.csv", (UPLOADS / "empty.csv").read_bytes()),
        (
            "The layer in cells.csv has no rows. Upload a layer with data",
            "cells.csv 的图层没有任何数据行",
        ),
    ),
    "no numbers": (
        ("population", "cells.geojson", (UPLOADS / "no_numbers.geojson").read_bytes()),
        ("No column of cells.geojson holds numbers", "cells.geojson 中没有一列是数字"),
    ),
}

SLOT_WORDS = {"population": ("Population", "人口"), "candidates": ("Candidate", "候选")}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_file_that_cannot_be_read_is_said_in_the_planners_words(
    env: Path, case: str, lang: str
) -> None:
    (slot, name, data), (en, zh) = CASES[case]
    at = upload(new_app(lang), slot, name, data)
    text = red(at)
    assert (en if lang == "en" else zh) in text, text
    assert SLOT_WORDS[slot][0 if lang == "en" else 1] in text  # which upload
    assert not SCENARIO_WORDS.search(text), text
    if lang == "zh":  # the page's language, not the reader's English
        assert "file" not in text.replace(".", " ").split(), text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_wrong_encoding_of_a_zipped_shapefile_names_the_encoding_field(
    env: Path, lang: str
) -> None:
    at = new_app(lang)
    upload(at, "population", "cells.geojson", (UPLOADS / "population_cells.geojson").read_bytes())
    upload(at, "existing", "today.zip", (UPLOADS / "existing_gbk.zip").read_bytes())
    at.selectbox(key="existing_encoding").set_value("utf-8").run()
    text = red(at)
    want = (
        "The text in today.zip cannot be read in the chosen encoding. Choose another under "
        "'Text encoding'"
        if lang == "en"
        else "无法按所选编码读取 today.zip 中的文字。请在“文字编码”中改选另一种"
    )
    assert want in text, text
    assert not SCENARIO_WORDS.search(text), text
    at.selectbox(key="existing_encoding").set_value("auto").run()  # GBK found by itself
    assert "today.zip" not in red(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_missing_column_is_said_in_the_planners_words(env: Path, lang: str) -> None:
    from planner.app.messages import reader_text
    from planner.errors import DataError
    from planner.runs.config import load_scenario
    from planner.runs.pipeline import read_source

    at = new_app(lang)
    upload(at, "population", "cells.geojson", (UPLOADS / "population_cells.geojson").read_bytes())
    assert "cells.geojson" not in red(at)
    # a setting naming a column the layer lacks (as from another layer's saved settings),
    # while the Data step's list is not drawn to correct it
    at.radio(key="step").set_value("model").run()
    at.session_state["population_id_col"] = "格网号"
    at.run()
    text = red(at)
    assert "格网号" in text
    assert ("Population" if lang == "en" else "人口") in text
    assert not SCENARIO_WORDS.search(text), text

    # the reader's own error (a scenario naming a column its layer lacks), in the app's words
    config = load_scenario(env / "demo" / "tiny.toml")
    assert config.data.candidates is not None
    source = config.data.candidates.model_copy(update={"id_col": "编号"})
    with pytest.raises(DataError) as info:
        read_source(config, source, "candidate sites")
    words = reader_text(info.value, lang, slot="candidates", file="sites.csv")
    assert words is not None
    want = (
        "Candidate sites: sites.csv has no column '编号' (Id column). Its columns:"
        if lang == "en"
        else "候选站址：sites.csv 中没有列「编号」（编号列）。现有的列："
    )
    assert words.startswith(want), words
    assert not SCENARIO_WORDS.search(words), words


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_reason_of_the_readers_has_the_apps_words(lang: str) -> None:
    """Each reason the readers give (and the details they give with it) makes a sentence."""
    from planner.app.messages import reader_text
    from planner.errors import DataError

    examples = {
        "zip_invalid": {},
        "zip_no_shp": {},
        "zip_parts_missing": {"layer": "cells", "parts": ".dbf"},
        "zip_member_damaged": {"member": "cells.shp"},
        "zip_member_refused": {"member": "x.vrt"},
        "zip_member_outside": {"member": "../x.shp"},
        "several_layers": {"layers": "a, b"},
        "encoding_fails": {"encoding": "utf-8"},
        "encoding_unknown": {"encoding": "klingon"},
        "csv_unreadable": {},
        "unknown_format": {"suffix": ".txt"},
        "content_mismatch": {},
        "virtual_dataset": {},
        "unreadable": {},
        "stored_query": {"layer": "v"},
        "layer_empty": {},
        "rows_without_geometry": {"n": 3},
        "no_crs": {},
        "crs_conflict": {"file_crs": "EPSG:4547"},
        "coordinates_out_of_range": {"x": "1..2", "y": "3..4"},
        "coordinates_not_numbers": {"lon": "x", "lat": "y", "rows": "2, 5"},
        "column_missing": {"column": "c", "columns": "a, b", "setting": "name_col"},
        "coordinate_column_missing": {"axis": "longitude", "names": "lon, x"},
        "no_numeric_column": {},
        "file_empty": {},
        "file_too_big": {"mb": "120.0", "limit_mb": "100"},
    }
    for reason, details in examples.items():
        exc = DataError("x", reason=reason, path="/tmp/planner-session-1/candidates.csv", **details)
        words = reader_text(exc, lang, slot="candidates", file="sites.csv")
        assert words is not None, reason
        assert "sites.csv" in words or reason == "encoding_unknown", (reason, words)
        assert not SCENARIO_WORDS.search(words), (reason, words)
    assert reader_text(DataError("x", reason="no_such_reason"), lang) is None
