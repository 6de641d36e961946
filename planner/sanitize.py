"""Keep user data inert where it meets HTML, templates, Markdown and spreadsheets.

Names of sites, centres, categories and demand points, a scenario's title,
description and attribution all come from the user's files. They reach four kinds
of consumer that would otherwise read them as instructions:

* **HTML** (maps, reports, app pages): ``<``, ``>``, ``&`` and quotes are escaped.
* **Jinja templates**: folium/branca compile each element's rendered output as a
  *new* template before putting it in the page, so ``{{ 7*7 }}`` in a site name
  became ``49`` and ``{#`` broke the run. :func:`html_text` also writes ``{`` and
  ``}`` as character references, so no template pass can see ``{{``, ``{%`` or
  ``{#`` in escaped text; the maps additionally render their own elements without
  that second pass (see :mod:`planner.present.maps`).
* **Markdown** (the app's captions, messages and headings): :func:`markdown_text`
  backslash-escapes the characters Markdown and Streamlit give a meaning
  (``*``, ``_``, ``[``, ``$``, ``:``, ...).
* **Spreadsheets** (every CSV the planner writes or offers for download):
  :func:`csv_safe_frame` prefixes text cells that start with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return with ``'`` (OWASP "CSV injection"), so Excel
  and WPS show them as text instead of running them as formulas. Numbers stay numbers.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from planner.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMULA_PREFIXES",
    "check_plain_path",
    "csv_bytes",
    "csv_cell",
    "csv_safe_frame",
    "html_text",
    "markdown_text",
    "terminal_text",
    "write_csv",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|$~]|(?<![^\W_])_|_(?![^\W_]))")
_MARKDOWN_DIRECTIVE = re.compile(r":(?=[\w+\-/])")
_MARKDOWN_BLOCK_START = re.compile(r"^(\s*\d*)([#+\-=!.)])")


VIRTUAL_PATH = re.compile(r"[/\\]vsi[a-z0-9_]+([/\\]|$)", re.IGNORECASE)
_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9_+.-]+):")


def check_plain_path(path: str | os.PathLike[str], *, what: str = "layer") -> Path:
    """Refuse GDAL virtual paths, driver prefixes and URLs; return the path.

    ``/vsicurl/``, ``/vsizip/`` and the other ``/vsi*/`` prefixes make GDAL fetch
    URLs or read inside archives, and ``CSV:``, ``GPKG:``, ``PG:``, ``http:`` style
    prefixes choose a driver or a server; a planner's input is always a file on
    disk. A Windows drive letter (``C:\\data``) is a plain path.

    Parameters
    ----------
    path
        The path as the user gave it (before joining it to the scenario's folder).
    what
        What the file is, for the message.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataError
        The path is not a plain file path (the message says what was expected).
    """
    text = os.fsdecode(path)
    if "\x00" in text:
        raise DataError(f"{what} path {text!r} holds a NUL character; give a file on disk.")
    if VIRTUAL_PATH.search(text):
        raise DataError(
            f"{what} path {text!r} is a GDAL virtual path (/vsicurl/, /vsizip/, ...), which is "
            "not accepted; give a file on disk (a zipped Shapefile as the .zip itself)."
        )
    prefix = _PREFIX.match(text)
    if prefix and len(prefix.group(1)) > 1:
        raise DataError(
            f"{what} path {text!r} starts with {prefix.group(1) + ':'!r} (a driver prefix or "
            "URL), which is not accepted; give a file on disk."
        )
    return Path(text)


def _is_hidden_control(ch: str) -> bool:
    # C0/C1 controls (ESC starts terminal sequences, 0x9b is an 8-bit CSI) and the
    # bidirectional overrides/isolates that make text display in another order.
    code = ord(ch)
    return (
        code < 0x20 or 0x7F <= code <= 0x9F or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069
    )


def terminal_text(value: Any, *, keep_newlines: bool = False) -> str:
    """``value`` safe to print on a terminal: control characters written as ``\\uXXXX``.

    A column or file name holding ``ESC ] 0 ; ... BEL`` or ``ESC [ 2 J`` would otherwise
    retitle or clear the user's terminal (or, in some terminals, write the clipboard)
    when a message names it, and bidirectional overrides would show it in another order.
    The escapes are also valid inside a JSON string.

    Parameters
    ----------
    value
        Any value; None gives ``""``.
    keep_newlines
        Keep ``\\n`` (multi-line tables); otherwise it is escaped too (one-line messages).

    Returns
    -------
    str
    """
    text = "" if value is None else str(value)
    if not any(_is_hidden_control(ch) for ch in text):
        return text
    return "".join(
        f"\\u{ord(ch):04x}" if _is_hidden_control(ch) and not (keep_newlines and ch == "\n") else ch
        for ch in text
    )


def html_text(value: Any) -> str:
    """``value`` as HTML text that no HTML parser or template engine reads as markup.

    Escapes ``& < > " '`` and writes ``{`` / ``}`` as ``&#123;`` / ``&#125;``; a
    browser shows exactly the original characters.

    Parameters
    ----------
    value
        Any value; None gives ``""``.

    Returns
    -------
    str
        Safe to put between tags or inside a quoted attribute.
    """
    text = html.escape("" if value is None else str(value), quote=True)
    return text.replace("{", "&#123;").replace("}", "&#125;")


def markdown_text(value: Any) -> str:
    """``value`` as Markdown that renders as exactly these characters.

    Backslash-escapes (CommonMark allows it before any ASCII punctuation) the
    characters that start emphasis, code, links, images, HTML, tables and
    strike-through, Streamlit's LaTeX (``$``) and its ``:red[...]`` / ``:smile:`` /
    ``:material/...:`` directives (a ``:`` followed by a word character), and a
    first character that would start a heading, list or quote. Line breaks become
    spaces (a message is one line). An ``_`` between two word characters (as in
    ``demand_id``) cannot start emphasis and is left alone, like other characters,
    so messages stay readable in the page source and in tests.

    Parameters
    ----------
    value
        Any value; None gives ``""``.

    Returns
    -------
    str
        Markdown source.
    """
    text = "" if value is None else str(value)
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _MARKDOWN_DIRECTIVE.sub(r"\\:", text)
    return _MARKDOWN_BLOCK_START.sub(r"\1\\\2", text, count=1)


def csv_cell(value: Any) -> Any:
    """One cell made safe for a spreadsheet (OWASP CSV-injection advice).

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading ``'`` unless it is a plain number such as ``-12.5`` or ``+3e2``; other
    values are returned unchanged (numbers stay numeric).

    Parameters
    ----------
    value
        A cell value.

    Returns
    -------
    Any
        ``value``, or ``"'" + value`` for a formula-leading text.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        if _NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are :func:`csv_cell`-safe.

    Numeric, boolean and datetime columns are untouched; only object / string
    columns are scanned. Index values are treated like a column.

    Parameters
    ----------
    frame
        The table about to be written as CSV.

    Returns
    -------
    pandas.DataFrame
        The same frame when nothing needed a change, else a copy.
    """
    import numpy as np
    import pandas as pd

    out = frame
    for pos in range(frame.shape[1]):
        series = frame.iloc[:, pos]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        values = series.to_numpy(dtype=object)
        risky = np.fromiter(
            (isinstance(v, str) and v.startswith(FORMULA_PREFIXES) for v in values),
            dtype=bool,
            count=len(values),
        )
        if risky.any():
            if out is frame:
                out = frame.copy()
            fixed = values.copy()
            fixed[risky] = [csv_cell(v) for v in values[risky]]
            out.isetitem(pos, fixed)
    names = [csv_cell(c) for c in frame.columns]
    if names != list(frame.columns):
        if out is frame:
            out = frame.copy()
        out.columns = pd.Index(names)
    index = frame.index
    if (pd.api.types.is_object_dtype(index) or pd.api.types.is_string_dtype(index)) and any(
        isinstance(v, str) and v.startswith(FORMULA_PREFIXES) for v in index
    ):
        if out is frame:
            out = frame.copy()
        out.index = pd.Index([csv_cell(v) for v in index], name=csv_cell(index.name))
    return out


def csv_bytes(frame: pd.DataFrame, *, index: bool = False) -> bytes:
    """``frame`` as spreadsheet-safe CSV bytes (UTF-8 with BOM, so Excel on Windows
    reads Chinese names); formula-leading text cells are neutralised (:func:`csv_safe_frame`).

    Parameters
    ----------
    frame
        The table.
    index
        Write the index as the first column.

    Returns
    -------
    bytes
        The CSV file's content.
    """
    text = csv_safe_frame(frame).to_csv(index=index)
    return text.encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, index: bool = False) -> Path:
    """Write ``frame`` as spreadsheet-safe CSV (see :func:`csv_bytes`) to ``path``.

    Parameters
    ----------
    frame
        The table.
    path
        The file to write.
    index
        Write the index as the first column.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    out = Path(path)
    out.write_bytes(csv_bytes(frame, index=index))
    return out
