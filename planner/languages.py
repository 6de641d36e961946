"""The languages the planner speaks and the one way to look words up.

Words are kept in catalogues that map a key to its Chinese (``"zh"``) and English
(``"en"``) text. The layers that return numbers keep the few words they must say
themselves beside their code (the optimiser's reasons for no plan, the KPIs'
assumption notes); :mod:`planner.present.i18n` holds every other label and merges the
lot into one table. All of them look words up through :func:`say`, so a language
check and ``{field}`` filling exist once.

There is no module-level "current language": every caller passes ``lang``,
because Streamlit sessions share one process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from planner.errors import ConfigError

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Catalogue", "check_language", "say"]

#: Languages every label has.
LANGUAGES: Final[tuple[str, ...]] = ("zh", "en")
#: The default language (the demo is Wuhan).
DEFAULT_LANGUAGE: Final[str] = "zh"

#: A label catalogue: ``catalogue[key][lang]`` is the text, with ``{field}`` placeholders.
Catalogue = Mapping[str, Mapping[str, str]]


def check_language(lang: object) -> str:
    """Return ``lang`` if it is a supported language, else raise :class:`ConfigError`.

    Parameters
    ----------
    lang
        ``"zh"`` (Chinese) or ``"en"`` (English).

    Returns
    -------
    str
        The language code.
    """
    if lang not in LANGUAGES:
        raise ConfigError(
            f"`language` must be one of {', '.join(LANGUAGES)}; got {lang!r}. "
            "Use 'zh' for Chinese labels or 'en' for English."
        )
    return str(lang)


def say(catalogue: Catalogue, key: str, lang: str, /, **fields: object) -> str:
    """The ``lang`` text of ``catalogue[key]``, its placeholders filled from ``fields``.

    Raises
    ------
    KeyError
        If ``key`` is not in ``catalogue`` (a programming error).
    planner.errors.ConfigError
        If ``lang`` is not a supported language.
    """
    check_language(lang)
    text = catalogue[key][lang]
    return text.format(**fields) if fields else text
