"""What the page remembers: language, step and library, across reloads and restarts.

A reload keeps them in the address (query parameters ``lang``, ``step``, ``lib``: a
bookmark or a link a colleague opens shows the same page); a restart of the server keeps
them in a small settings file (``PLANNER_APP_SETTINGS``, default
``~/.service-centre-planner/app-settings.json``), one entry per signed-in user. Values
are checked on the way in: a bad one is ignored, never an error.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from planner.app.state import STEPS
from planner.present.i18n import LANGUAGES

__all__ = ["QUERY_KEYS", "from_query", "load", "save", "settings_path", "to_query"]

#: Session key -> query parameter.
QUERY_KEYS: Final = {"lang": "lang", "step": "step", "library_name": "lib"}
_LOG = logging.getLogger("planner.app")


def settings_path() -> Path:
    """The settings file: ``PLANNER_APP_SETTINGS``, else ``~/.service-centre-planner/app-settings.json``."""
    env = os.environ.get("PLANNER_APP_SETTINGS", "").strip()
    if env:
        return Path(env).expanduser()
    return Path.home() / ".service-centre-planner" / "app-settings.json"


def _clean(values: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    lang = values.get("lang")
    if isinstance(lang, str) and lang in LANGUAGES:
        out["lang"] = lang
    step = values.get("step")
    if isinstance(step, str) and step in STEPS:
        out["step"] = step
    lib = values.get("library_name")
    if isinstance(lib, str) and 0 < len(lib.strip()) <= 80 and "/" not in lib and "\\" not in lib:
        out["library_name"] = lib.strip()
    return out


def from_query(params: Mapping[str, Any]) -> dict[str, str]:
    """Session values from the address's query parameters (bad or unknown ones left out)."""
    raw = {key: params.get(q) for key, q in QUERY_KEYS.items()}
    return _clean({k: (v[-1] if isinstance(v, list) and v else v) for k, v in raw.items()})


def to_query(state: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters that keep ``state``'s language, step and library in the address."""
    return {QUERY_KEYS[k]: v for k, v in _clean(state).items()}


def load(path: Path, user: str | None) -> dict[str, str]:
    """The remembered values of ``user`` (``None``: a local, single-user app)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entry = doc.get(user or "", {}) if isinstance(doc, dict) else {}
    return _clean(entry) if isinstance(entry, dict) else {}


def save(path: Path, user: str | None, state: Mapping[str, Any]) -> bool:
    """Remember ``state``'s language, step and library for ``user`` (written atomically;
    False, and a log line, when the file cannot be written: the page goes on)."""
    values = _clean(state)
    try:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict):
                doc = {}
        except (OSError, ValueError):
            doc = {}
        if doc.get(user or "") == values:
            return True
        doc[user or ""] = values
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        return True
    except OSError as exc:
        _LOG.warning("cannot write the app settings file %s: %s", path, exc)
        return False
