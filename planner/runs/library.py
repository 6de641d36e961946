"""The scenario library: saved runs in one SQLite file, shared by everyone who opens the folder.

:class:`ScenarioLibrary` keeps ``scenarios.sqlite`` in a folder the user chooses.
Each saved run holds what is needed to reopen it, compare it and reproduce it:

* ``scenario_toml``: the scenario file (run it again with ``planner run``);
* ``lock_toml``: settings, input hashes, versions and solver status
  (:func:`planner.runs.outputs.lock_document`);
* ``kpis_json``: the KPIs of the plan and of today's centres (the ``kpis.json``
  a run folder holds);
* ``open_site_ids`` and ``sites_json`` (id, names, category, new/kept, coordinates
  of each open site), so a comparison names the sites without reading any layer;
* optionally the standalone map page (zlib-compressed).

Every call opens its own connection (WAL journal, a busy timeout), so the
library is safe to use from several Streamlit sessions and processes at once.
Comparisons reuse :func:`planner.evaluate.compare.compare_runs`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from planner.errors import DataError, InputError
from planner.files import json_safe

if TYPE_CHECKING:
    from planner.evaluate.compare import Comparison

__all__ = ["LIBRARY_FILE", "SavedScenario", "ScenarioLibrary"]

#: Name of the SQLite file inside the library folder.
LIBRARY_FILE: Final = "scenarios.sqlite"
_SCHEMA_VERSION: Final = 1
_MAX_NAME: Final = 80

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scenarios (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    scenario_toml TEXT NOT NULL,
    lock_toml TEXT NOT NULL,
    kpis_json TEXT NOT NULL,
    open_site_ids TEXT NOT NULL,
    sites_json TEXT NOT NULL,
    map_html BLOB
);
CREATE TABLE IF NOT EXISTS scenario_maps (
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    html BLOB NOT NULL,
    PRIMARY KEY (name, language)
);
"""


@dataclass(frozen=True)
class SavedScenario:
    """One saved run, as read back from the library.

    Attributes
    ----------
    name
        The name it was saved under.
    created_at
        When (ISO 8601, UTC).
    scenario_toml, lock_toml, kpis_json
        The scenario file, lock file and KPI document (text).
    open_site_ids
        Ids of the open sites.
    sites
        One dict per open site (``site_id``, ``name_zh``, ``name_en``, ``category``,
        ``existing``, ``longitude``, ``latitude``).
    map_html
        The standalone map page, or None if it was not saved.
    maps
        The map page in each language it was saved in (language code -> page); empty for
        runs saved before maps were kept per language.
    """

    name: str
    created_at: str
    scenario_toml: str
    lock_toml: str
    kpis_json: str
    open_site_ids: tuple[str, ...]
    sites: tuple[dict[str, Any], ...]
    map_html: str | None
    maps: Mapping[str, str] = field(default_factory=dict)

    def map_in(self, language: str) -> str | None:
        """The map page in ``language`` if it was saved in it, else :attr:`map_html`."""
        return self.maps.get(language, self.map_html)

    @property
    def kpis(self) -> dict[str, Any]:
        """The KPI document (parsed ``kpis_json``)."""
        doc = json.loads(self.kpis_json)
        return doc if isinstance(doc, dict) else {}

    @property
    def summary(self) -> dict[str, float | None]:
        """The plan's headline KPIs (``plan.summary`` of the KPI document)."""
        plan = self.kpis.get("plan") or {}
        summary = plan.get("summary") if isinstance(plan, Mapping) else None
        return dict(summary) if isinstance(summary, Mapping) else {}


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InputError("scenario `name` is empty; type a name to save the run under.")
    text = name.strip()
    if len(text) > _MAX_NAME:
        raise InputError(
            f"scenario `name` is {len(text)} characters long; use at most {_MAX_NAME}."
        )
    if any(ord(ch) < 32 for ch in text):
        raise InputError(
            "scenario `name` holds control characters; use letters, digits and spaces."
        )
    return text


class ScenarioLibrary:
    """Saved scenarios in ``<folder>/scenarios.sqlite``.

    Parameters
    ----------
    folder
        The library folder; created if missing.

    Raises
    ------
    InputError
        The folder cannot be created or is a file, or the SQLite file is not a
        scenario library.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        text = str(folder).strip()
        if not text:
            raise InputError("library `folder` is empty; choose a folder for saved scenarios.")
        self.folder = Path(text).expanduser()
        if self.folder.exists() and not self.folder.is_dir():
            raise InputError(f"library folder {self.folder} is a file; choose a folder.")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create the library folder {self.folder} ({exc.strerror}); choose another."
            ) from None
        self.path = self.folder / LIBRARY_FILE
        with self._connect() as con:
            con.executescript(_SCHEMA)
            con.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def __repr__(self) -> str:
        return f"ScenarioLibrary({str(self.folder)!r})"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One connection per call: safe across Streamlit sessions and processes."""
        try:
            con = sqlite3.connect(self.path, timeout=30.0)
        except sqlite3.Error as exc:
            raise InputError(f"cannot open the scenario library {self.path} ({exc}).") from None
        with closing(con):
            try:
                con.execute("PRAGMA journal_mode=WAL")
                with con:  # a transaction: committed on success, rolled back on error
                    yield con
            except sqlite3.DatabaseError as exc:
                if "not a database" in str(exc) or "malformed" in str(exc):
                    raise DataError(
                        f"{self.path} is not a scenario library (SQLite) file; "
                        "choose another library folder."
                    ) from None
                raise

    # --------------------------------------------------------------------------------------
    # writing

    def save(
        self,
        name: str,
        *,
        scenario_toml: str,
        lock_toml: str,
        kpis: Mapping[str, Any],
        open_site_ids: Sequence[str],
        sites: Sequence[Mapping[str, Any]] = (),
        map_html: str | None = None,
        maps: Mapping[str, str] | None = None,
        overwrite: bool = False,
    ) -> SavedScenario:
        """Save a run under ``name``.

        Parameters
        ----------
        name
            A name (1-80 characters); an existing name needs ``overwrite=True``.
        scenario_toml
            The scenario file that reproduces the run.
        lock_toml
            The lock document (settings, input hashes, versions, solver status).
        kpis
            The KPI document (``kpis.json``: ``plan``, ``baseline``, ``solution``, ...).
        open_site_ids
            Ids of the open sites.
        sites
            Names, categories and coordinates of the open sites.
        map_html
            The standalone map page (stored compressed), or None.
        maps
            The map page in each language (language code -> page, stored compressed), so
            that the run shows its map in the language of the page that opens it.
        overwrite
            Replace a saved run of the same name.

        Returns
        -------
        SavedScenario

        Raises
        ------
        InputError
            A bad or taken name.
        """
        key = _check_name(name)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        kpis_text = json.dumps(json_safe(dict(kpis)), ensure_ascii=False)
        ids = [str(s) for s in open_site_ids]
        site_rows = [json_safe(dict(s)) for s in sites]
        blob = None if map_html is None else zlib.compress(map_html.encode("utf-8"), 6)
        with self._connect() as con:
            exists = con.execute("SELECT 1 FROM scenarios WHERE name = ?", (key,)).fetchone()
            if exists and not overwrite:
                raise InputError(
                    f"a scenario named {key!r} is already saved; choose another name or overwrite it."
                )
            con.execute(
                "INSERT OR REPLACE INTO scenarios (name, created_at, scenario_toml, lock_toml, "
                "kpis_json, open_site_ids, sites_json, map_html) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    created,
                    scenario_toml,
                    lock_toml,
                    kpis_text,
                    json.dumps(ids, ensure_ascii=False),
                    json.dumps(site_rows, ensure_ascii=False),
                    blob,
                ),
            )
            con.execute("DELETE FROM scenario_maps WHERE name = ?", (key,))
            con.executemany(
                "INSERT INTO scenario_maps (name, language, html) VALUES (?, ?, ?)",
                [
                    (key, str(lang), zlib.compress(page.encode("utf-8"), 6))
                    for lang, page in (maps or {}).items()
                ],
            )
        return self.load(key)

    def delete(self, name: str) -> None:
        """Delete a saved run (an :class:`InputError` if there is none of that name)."""
        key = _check_name(name)
        with self._connect() as con:
            cur = con.execute("DELETE FROM scenarios WHERE name = ?", (key,))
            con.execute("DELETE FROM scenario_maps WHERE name = ?", (key,))
            if cur.rowcount == 0:
                raise InputError(f"no saved scenario named {key!r} in {self.path}.")

    # --------------------------------------------------------------------------------------
    # reading

    def names(self) -> list[str]:
        """Names of the saved runs, newest first."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT name FROM scenarios ORDER BY created_at DESC, name"
            ).fetchall()
        return [str(r[0]) for r in rows]

    def table(self) -> pd.DataFrame:
        """One row per saved run (newest first): name, created_at, model, p, status, quality and headline KPIs."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT name, created_at, kpis_json, open_site_ids FROM scenarios "
                "ORDER BY created_at DESC, name"
            ).fetchall()
        records = []
        for name, created, kpis_text, ids_text in rows:
            try:
                doc = json.loads(kpis_text)
            except json.JSONDecodeError:
                doc = {}
            solution = doc.get("solution") or {}
            summary = (doc.get("plan") or {}).get("summary") or {}
            records.append(
                {
                    "name": name,
                    "created_at": created,
                    "model": solution.get("model"),
                    "n_open": len(json.loads(ids_text)),
                    "status": solution.get("status"),
                    "quality": solution.get("quality"),
                    "gap": solution.get("gap"),
                    **{k: v for k, v in summary.items() if isinstance(v, int | float) or v is None},
                }
            )
        columns = ["name", "created_at", "model", "n_open", "status", "quality"]
        return pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=columns)

    def load(self, name: str) -> SavedScenario:
        """A saved run by name (an :class:`InputError` if there is none)."""
        key = _check_name(name)
        with self._connect() as con:
            row = con.execute(
                "SELECT name, created_at, scenario_toml, lock_toml, kpis_json, open_site_ids, "
                "sites_json, map_html FROM scenarios WHERE name = ?",
                (key,),
            ).fetchone()
            localised = con.execute(
                "SELECT language, html FROM scenario_maps WHERE name = ?", (key,)
            ).fetchall()
        if row is None:
            raise InputError(f"no saved scenario named {key!r} in {self.path}.")
        blob = row[7]
        try:
            map_text = None if blob is None else zlib.decompress(blob).decode("utf-8")
            maps = {str(lang): zlib.decompress(html).decode("utf-8") for lang, html in localised}
        except (zlib.error, UnicodeDecodeError):
            raise DataError(
                f"{self.path}: the map of {key!r} is damaged; save the run again."
            ) from None
        return SavedScenario(
            name=row[0],
            created_at=row[1],
            scenario_toml=row[2],
            lock_toml=row[3],
            kpis_json=row[4],
            open_site_ids=tuple(json.loads(row[5])),
            sites=tuple(json.loads(row[6])),
            map_html=map_text,
            maps=maps,
        )

    def compare(self, names: Sequence[str]) -> Comparison:
        """Two or more saved runs side by side (the first is the reference).

        KPIs, sites added, dropped and kept, and the settings that differ, as
        :func:`planner.evaluate.compare.compare_runs` computes them for run folders.
        """
        from planner.evaluate.compare import KPIS_FILE, LOCK_FILE, compare_runs

        chosen = [_check_name(n) for n in names]
        if len(chosen) < 2:
            raise InputError("choose at least two saved scenarios to compare.")
        if len(set(chosen)) != len(chosen):
            raise InputError("a scenario is chosen twice; choose different scenarios to compare.")
        saved = [self.load(n) for n in chosen]
        # compare_runs reads run folders: write each run's two small files into a private
        # temporary folder named after the run (the folder name is the column name).
        with tempfile.TemporaryDirectory(prefix="planner-compare-") as tmp:
            dirs = []
            for i, s in enumerate(saved):
                folder = Path(tmp) / f"{i:02d}" / _folder_name(s.name)
                folder.mkdir(parents=True)
                (folder / LOCK_FILE).write_text(s.lock_toml, encoding="utf-8")
                (folder / KPIS_FILE).write_text(s.kpis_json, encoding="utf-8")
                dirs.append(folder)
            comparison = compare_runs(dirs)
        return _renamed(comparison, [s.name for s in saved])


def _folder_name(name: str) -> str:
    """A folder name for a scenario name (any text; only separators are replaced)."""
    safe = name.replace("/", "_").replace("\\", "_").replace("\x00", "_").strip(". ")
    return safe or "run"


def _renamed(comparison: Comparison, names: list[str]) -> Comparison:
    """The comparison with its run names set back to the saved names (not the folder names)."""
    from dataclasses import replace

    old = [r.name for r in comparison.runs]
    mapping = dict(zip(old, names, strict=True))
    runs = tuple(
        replace(r, name=n, path=Path(n)) for r, n in zip(comparison.runs, names, strict=True)
    )
    return replace(
        comparison,
        runs=runs,
        kpis=comparison.kpis.rename(columns=mapping),
        sites=comparison.sites.rename(index=mapping),
        settings=comparison.settings.rename(columns=mapping),
    )
