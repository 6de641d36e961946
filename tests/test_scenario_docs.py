"""docs/scenario.md is generated from the scenario model and cannot drift from it."""

from __future__ import annotations

from pathlib import Path

from planner.runs.config import LayerSource
from planner.runs.scenario_docs import KEY_DOCS, LAYER_KEY_DOCS, keys, render

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenario.md"


def test_every_key_of_the_model_is_documented() -> None:
    layer = set(LayerSource.model_fields)
    missing = [k for k, _ in keys() if k not in KEY_DOCS and k.rsplit(".", 1)[-1] not in layer]
    assert missing == []
    assert set(LAYER_KEY_DOCS) == layer
    stale = sorted(set(KEY_DOCS) - {k for k, _ in keys()})
    assert stale == [], "documented keys the model no longer has"
    for key, (_unit, example, meaning) in {**KEY_DOCS, **LAYER_KEY_DOCS}.items():
        assert example, key
        assert meaning, key


def test_docs_file_is_what_the_model_says() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/scenario.md is stale: run python scripts/gen_scenario_docs.py"
    )


def test_own_data_keys_are_on_the_page() -> None:
    text = render()
    for key in ("name_col", "category_col", "lon_col", "lat_col", "crs", "datum", "encoding"):
        assert f"| `{key}` |" in text, key
    assert "| `p` | integer (optional) | – | centres |" in text
