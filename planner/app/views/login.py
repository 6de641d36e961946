"""The login gate: a visitor who has not logged in sees the login and nothing else.

:func:`gate` runs first on every page run. It reads the deployment
(:func:`planner.runs.access.deployment`): in local use it lets everyone through; in
team use without a configured login it stops the app with one clear message;
with Streamlit's OpenID Connect login (``[auth]`` in secrets.toml) or a password
file it shows only the login until the visitor has logged in. The user and the
library root it settles are kept in the session (not widget keys, so a browser
cannot set them) for :func:`planner.app.views.scenarios.open_library`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from planner.app.views.common import ss, tr
from planner.errors import PlannerError
from planner.runs import access
from planner.sanitize import markdown_text as md

#: Session keys the gate owns: the logged-in user and the library root.
USER_KEY = "_auth_user"
ROOT_KEY = "_library_root"
_PASSWORD_USER = "_password_user"  # who logged in with the password form (this session)


def _oidc_configured() -> bool:
    try:
        return bool(st.secrets.load_if_toml_exists()) and "auth" in st.secrets
    except Exception:  # a secrets.toml Streamlit cannot parse: no OIDC login
        return False


def _oidc_user() -> str | None:
    """Who logged in: the e-mail, unless the provider says it is not verified (an account
    could then name anyone's address and open their saved runs), else the ``sub`` claim
    (the provider's own, unchangeable id). Never the display name, which users choose."""
    user: Any = st.user
    if not getattr(user, "is_logged_in", False):
        return None

    def claim(key: str) -> Any:
        return user.get(key) if hasattr(user, "get") else None

    email = claim("email")
    if email and claim("email_verified") not in (False, "false", "False", 0):
        return str(email)
    sub = claim("sub")
    return f"sub:{sub}" if sub else None


@st.cache_resource(show_spinner=False)
def _throttle() -> access.LoginThrottle:
    """One failed-login record for the whole server (every session shares it)."""
    return access.LoginThrottle()


def _login_page() -> None:
    st.title(tr("app_login_title"))
    st.write(tr("app_login_intro"))


def _password_form(password_file: Any) -> str | None:
    _login_page()
    with st.form("login_form"):
        name = st.text_input(tr("app_login_user"), key="login_user")
        password = st.text_input(tr("app_login_password"), type="password", key="login_password")
        submitted = st.form_submit_button(tr("app_login_button"), type="primary")
    if submitted:
        try:
            user = _throttle().check(password_file, name, password)
        except PlannerError as exc:
            st.error(md(str(exc)))
            return None
        if user is None:
            st.error(tr("app_login_failed"))
            return None
        ss[_PASSWORD_USER] = user
        st.rerun()  # draw the app in place of the login
    return None


def gate() -> access.Deployment | None:
    """Settle who is using the app; None if the page must show nothing else."""
    try:
        deployment = access.deployment(
            bind_address=st.get_option("server.address"), oidc_configured=_oidc_configured()
        )
    except PlannerError as exc:
        st.error(tr("app_cannot_start", message=md(str(exc))))
        return None
    ss[ROOT_KEY] = str(deployment.library_root)
    if deployment.auth == "none":
        ss[USER_KEY] = None
        return deployment
    if deployment.auth == "oidc":
        user = _oidc_user()
        if user is None:
            _login_page()
            st.button(tr("app_login_oidc_button"), type="primary", on_click=st.login)
            return None
    else:
        user = ss.get(_PASSWORD_USER)
        if user is None:
            assert deployment.password_file is not None  # auth == "password"
            user = _password_form(deployment.password_file)
            if user is None:
                return None
    ss[USER_KEY] = user
    return deployment


def _logout() -> None:
    if ss.get(_PASSWORD_USER) is not None:
        for key in list(ss.keys()):  # nothing of this user's session survives the logout
            del ss[key]
    else:
        st.logout()


def logout_button() -> None:
    """In the sidebar: who is logged in, and a way out."""
    user = ss.get(USER_KEY)
    if user:
        st.caption(tr("app_logged_in_as", user=md(str(user))))
        st.button(tr("app_logout"), key="logout_button", on_click=_logout)
