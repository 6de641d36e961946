"""Who may use the app, and where each user's saved runs live (no Streamlit in here).

The app serves one person on their own machine unless it is told otherwise:

* **Local** (the default): Streamlit binds to ``127.0.0.1`` (``.streamlit/config.toml``,
  ``make app``); nobody else can reach it, and no login is asked.
* **Team**: bound to another address (``--server.address 0.0.0.0``,
  ``make app APP_ADDRESS=0.0.0.0``), or ``PLANNER_TEAM=1`` behind a reverse proxy.
  The app then refuses to start until authentication is configured, either
  Streamlit's built-in OpenID Connect login (an ``[auth]`` table in
  ``.streamlit/secrets.toml``) or a password file (``PLANNER_PASSWORD_FILE``:
  lines ``user:scrypt$...`` made with ``planner passwd USER``; no password is
  ever stored in the repository or in clear text).

Saved runs live in scenario libraries under one configured root folder
(``PLANNER_LIBRARY_ROOT``, default ``~/.service-centre-planner/library``). A
visitor picks a library by *name*, never by path: :func:`library_folder`
accepts a plain folder name only, resolves it under the root and refuses
anything that would leave it (``..``, separators, symbolic links out). Once
users log in, each one has their own folder under ``root/users/``, so no user
can list, open or delete another's runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import math
import os
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from planner.errors import ConfigError, InputError

__all__ = [
    "DEFAULT_LIBRARY",
    "Deployment",
    "LoginThrottle",
    "check_password",
    "deployment",
    "hash_password",
    "library_folder",
    "library_names",
    "library_root",
    "user_key",
]

#: The library a session opens first.
DEFAULT_LIBRARY: Final = "main"
_LIBRARY_FILE: Final = "scenarios.sqlite"
_MAX_LIBRARY_NAME: Final = 64
# scrypt with n=2**14, r=8, p=1 (about 16 MB and 50 ms per check): OWASP's minimum for scrypt.
_SCRYPT_N: Final = 2**14
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1

AuthKind = Literal["none", "oidc", "password"]


@dataclass(frozen=True)
class Deployment:
    """How the app is served.

    Attributes
    ----------
    team
        True when others can reach the app (a non-loopback bind address or
        ``PLANNER_TEAM=1``).
    auth
        ``"oidc"`` (Streamlit's ``st.login``), ``"password"`` (a password file)
        or ``"none"`` (local use only).
    library_root
        The folder every scenario library lives under.
    password_file
        The password file, when ``auth == "password"``.
    """

    team: bool
    auth: AuthKind
    library_root: Path
    password_file: Path | None = None

    @property
    def per_user(self) -> bool:
        """Saved runs are kept per user (whenever users log in)."""
        return self.auth != "none"


def is_loopback(address: str | None) -> bool:
    """True if a bind address only accepts connections from this machine.

    ``None`` or ``""`` is Streamlit's default, every interface: not loopback.
    """
    text = (address or "").strip().strip("[]")
    if not text:
        return False
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False  # a host name: assume others can reach it


def library_root(environ: Mapping[str, str] | None = None) -> Path:
    """The folder all scenario libraries live under.

    ``PLANNER_LIBRARY_ROOT`` (``PLANNER_LIBRARY_DIR`` is read too, for older
    set-ups), else ``~/.service-centre-planner/library``.
    """
    env = os.environ if environ is None else environ
    for key in ("PLANNER_LIBRARY_ROOT", "PLANNER_LIBRARY_DIR"):
        text = env.get(key, "").strip()
        if text:
            return Path(text).expanduser()
    return Path.home() / ".service-centre-planner" / "library"


def deployment(
    *,
    bind_address: str | None,
    oidc_configured: bool,
    environ: Mapping[str, str] | None = None,
) -> Deployment:
    """The deployment the app runs in; a :class:`ConfigError` if team use lacks a login.

    Parameters
    ----------
    bind_address
        Streamlit's ``server.address`` (``None``: every interface).
    oidc_configured
        ``.streamlit/secrets.toml`` has an ``[auth]`` table (Streamlit's OIDC login).
    environ
        Environment variables (default ``os.environ``): ``PLANNER_TEAM``,
        ``PLANNER_PASSWORD_FILE``, ``PLANNER_LIBRARY_ROOT``.
    """
    env = os.environ if environ is None else environ
    flag = env.get("PLANNER_TEAM", "").strip().lower()
    if flag not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ConfigError(f"PLANNER_TEAM={flag!r}: use 1 (team use, login required) or 0.")
    team = flag in ("1", "true", "yes") or not is_loopback(bind_address)
    password_text = env.get("PLANNER_PASSWORD_FILE", "").strip()
    password_file = Path(password_text).expanduser() if password_text else None
    if oidc_configured and password_file is not None:
        raise ConfigError(
            "both an [auth] table in .streamlit/secrets.toml and PLANNER_PASSWORD_FILE are set; "
            "choose one way to log in."
        )
    auth: AuthKind = "oidc" if oidc_configured else "password" if password_file else "none"
    if password_file is not None:
        _read_password_file(password_file)  # a missing or malformed file stops the start
    if team and auth == "none":
        where = "every network interface" if not bind_address else f"address {bind_address}"
        raise ConfigError(
            f"the app is served to others ({where}"
            + (", PLANNER_TEAM=1" if flag in ("1", "true", "yes") else "")
            + ") but no login is configured: add an [auth] table (OpenID Connect) to "
            ".streamlit/secrets.toml, or set PLANNER_PASSWORD_FILE to a file made with "
            "`planner passwd USER`; for use on this machine only, start it with "
            "`make app` (binds to 127.0.0.1). See docs/security.md."
        )
    return Deployment(
        team=team, auth=auth, library_root=library_root(env), password_file=password_file
    )


# --------------------------------------------------------------------------------------
# passwords


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A scrypt hash of ``password`` for the password file (``scrypt$n$r$p$salt$hash``)."""
    if not password:
        raise InputError("the password is empty; choose one of at least 8 characters.")
    if len(password) < 8:
        raise InputError("the password is shorter than 8 characters; choose a longer one.")
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def _read_password_file(path: Path) -> dict[str, str]:
    """``{user: hash}`` from a password file (``user:hash`` lines, ``#`` comments)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"PLANNER_PASSWORD_FILE {path}: cannot read it ({exc.strerror}); "
            "make it with `planner passwd USER >> FILE`."
        ) from None
    users: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, hashed = line.partition(":")
        if not sep or not user.strip() or not hashed.startswith("scrypt$"):
            raise ConfigError(
                f"PLANNER_PASSWORD_FILE {path}, line {number}: expected USER:scrypt$... "
                "(made with `planner passwd USER`); clear-text passwords are not accepted."
            )
        users[user.strip()] = hashed.strip()
    if not users:
        raise ConfigError(
            f"PLANNER_PASSWORD_FILE {path} holds no user; add one with `planner passwd USER >> FILE`."
        )
    return users


def _verify(password: str, hashed: str) -> bool:
    try:
        _, n, r, p, salt_b64, digest_b64 = hashed.split("$")
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=256 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


# A hash to compare against when the user is unknown, so that the answer takes as long.
_DUMMY_HASH: Final = hash_password("not-a-user-password", salt=b"\0" * 16)


def check_password(password_file: Path, user: str, password: str) -> str | None:
    """The user's name if ``password`` is theirs, else None (same time either way)."""
    users = _read_password_file(password_file)
    name = user.strip()
    hashed = users.get(name)
    ok = _verify(password, hashed or _DUMMY_HASH)
    return name if ok and hashed is not None else None


class LoginThrottle:
    """Failed password logins per user name: after ``max_failures`` within ``window_s``
    seconds, that name is refused until the window has passed (guessing stays slow even
    from many browser sessions). Thread-safe; the app keeps one for the whole server.

    Parameters
    ----------
    max_failures
        Failed attempts allowed per user name within the window.
    window_s
        The window, in seconds.
    clock
        Seconds since some epoch (``time.monotonic`` by default; tests pass their own).
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, user: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(user, []) if now - t < self.window_s]
        if kept:
            self._failures[user] = kept
        else:
            self._failures.pop(user, None)
        return kept

    def wait_s(self, user: str) -> float:
        """Seconds until ``user`` may try again (0: now)."""
        with self._lock:
            now = self._clock()
            recent = self._recent(user.strip(), now)
            if len(recent) < self.max_failures:
                return 0.0
            return max(0.0, self.window_s - (now - recent[-self.max_failures]))

    def check(self, password_file: Path, user: str, password: str) -> str | None:
        """:func:`check_password`, refused with an :class:`InputError` while throttled."""
        name = user.strip()
        wait = self.wait_s(name)
        if wait > 0:
            raise InputError(
                f"too many failed logins for {name!r}; try again in {math.ceil(wait / 60)} min."
            )
        ok = check_password(password_file, name, password)
        with self._lock:
            if ok is None:
                self._failures.setdefault(name, []).append(self._clock())
            else:
                self._failures.pop(name, None)
        return ok


# --------------------------------------------------------------------------------------
# libraries under the root


def user_key(user: str) -> str:
    """A folder name for a user: readable letters of the name plus a hash of all of it."""
    text = unicodedata.normalize("NFKC", user.strip())
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-")[:32] or "user"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return f"{slug}-{digest}"


def _check_library_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name)).strip()
    if not text:
        raise InputError("the library name is empty; type a name such as 'main'.")
    if len(text) > _MAX_LIBRARY_NAME:
        raise InputError(
            f"the library name is {len(text)} characters long; use at most {_MAX_LIBRARY_NAME}."
        )
    if text.casefold() == "users":
        raise InputError(
            "library name 'users' is reserved (each user's libraries); choose another."
        )
    if text.startswith(".") or any(
        ch in "/\\:" or unicodedata.category(ch).startswith("C") for ch in text
    ):
        raise InputError(
            f"library name {text!r}: use letters, digits, spaces, '-' and '_' only (a name, "
            "not a path: every library lives in the configured library root)."
        )
    return text


def _user_root(root: Path, user: str | None) -> Path:
    return root if user is None else root / "users" / user_key(user)


def library_folder(root: Path, name: str, *, user: str | None = None) -> Path:
    """The folder of library ``name`` under ``root`` (``root/users/<user>/`` per user).

    The default library (:data:`DEFAULT_LIBRARY`) is that folder itself (where
    earlier versions kept the one library); any other name is a folder inside it.

    Raises
    ------
    InputError
        ``name`` is not a plain name, or the folder would lie outside the root
        (a symbolic link pointing out).
    """
    text = _check_library_name(name)
    base = Path(root).expanduser().resolve()
    home = _user_root(base, user).resolve()
    folder = (home if text == DEFAULT_LIBRARY else home / text).resolve()
    if not folder.is_relative_to(home):  # a symbolic link out of the user's own folder
        raise InputError(f"library name {text!r} leads outside the library root; choose another.")
    return folder


def library_names(root: Path, *, user: str | None = None) -> list[str]:
    """The default library, then the other libraries of ``root`` (of ``user``) holding saved runs."""
    base = _user_root(Path(root).expanduser(), user)
    if not base.is_dir():
        return [DEFAULT_LIBRARY]
    names = []
    for entry in base.iterdir():
        if entry.name.startswith(".") or (user is None and entry.name == "users"):
            continue
        if entry.is_dir() and not entry.is_symlink() and (entry / _LIBRARY_FILE).is_file():
            names.append(entry.name)
    return [DEFAULT_LIBRARY, *sorted(n for n in names if n != DEFAULT_LIBRARY)]
