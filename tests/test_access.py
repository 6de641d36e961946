"""Who may use the app and where saved runs live: bind address, login, library root, per user."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from scenario_fixtures import write_tiny_scenario
from streamlit.testing.v1 import AppTest

from planner.errors import ConfigError, InputError
from planner.runs import access

APP = str(Path(__file__).resolve().parent.parent / "app.py")


# --------------------------------------------------------------------------------------
# the deployment


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("planner.intranet", False),
        ("", False),  # Streamlit's default: every interface
        (None, False),
    ],
)
def test_loopback_addresses(address: str | None, loopback: bool) -> None:
    assert access.is_loopback(address) is loopback


def test_local_use_needs_no_login(tmp_path: Path) -> None:
    d = access.deployment(
        bind_address="127.0.0.1",
        oidc_configured=False,
        environ={"PLANNER_LIBRARY_ROOT": str(tmp_path)},
    )
    assert (d.team, d.auth, d.per_user, d.library_root) == (False, "none", False, tmp_path)


@pytest.mark.parametrize(
    ("address", "environ"),
    [("0.0.0.0", {}), (None, {}), ("127.0.0.1", {"PLANNER_TEAM": "1"})],
)
def test_team_use_without_a_login_refuses_to_start(
    address: str | None, environ: dict[str, str]
) -> None:
    with pytest.raises(ConfigError, match="no login is configured") as info:
        access.deployment(bind_address=address, oidc_configured=False, environ=environ)
    assert "PLANNER_PASSWORD_FILE" in str(info.value)
    assert "[auth]" in str(info.value)


def test_team_use_with_a_login(tmp_path: Path) -> None:
    d = access.deployment(bind_address="0.0.0.0", oidc_configured=True, environ={})
    assert (d.team, d.auth, d.per_user) == (True, "oidc", True)
    file = tmp_path / "users.txt"
    file.write_text(f"ann:{access.hash_password('correct horse')}\n", encoding="utf-8")
    d = access.deployment(
        bind_address="0.0.0.0", oidc_configured=False, environ={"PLANNER_PASSWORD_FILE": str(file)}
    )
    assert (d.team, d.auth, d.password_file) == (True, "password", file)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read it"),
        ("ann:hunter2hunter2\n", "clear-text passwords are not accepted"),
        ("# nobody\n", "holds no user"),
        ("scrypt$1$2\n", "expected USER:scrypt"),
    ],
)
def test_bad_password_files_stop_the_start(
    tmp_path: Path, content: str | None, message: str
) -> None:
    file = tmp_path / "users.txt"
    if content is not None:
        file.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        access.deployment(
            bind_address="0.0.0.0",
            oidc_configured=False,
            environ={"PLANNER_PASSWORD_FILE": str(file)},
        )


def test_two_logins_configured_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="choose one way to log in"):
        access.deployment(
            bind_address="127.0.0.1",
            oidc_configured=True,
            environ={"PLANNER_PASSWORD_FILE": str(tmp_path / "x")},
        )


def test_passwords_are_salted_scrypt_and_checked(tmp_path: Path) -> None:
    one, two = access.hash_password("correct horse"), access.hash_password("correct horse")
    assert one != two  # salted
    assert one.startswith("scrypt$")
    assert "correct" not in one
    file = tmp_path / "users.txt"
    file.write_text(f"# team\nann:{one}\n李雷:{access.hash_password('供电营业厅选址密码')}\n")
    assert access.check_password(file, "ann", "correct horse") == "ann"
    assert access.check_password(file, " ann ", "correct horse") == "ann"
    assert access.check_password(file, "ann", "correct horse ") is None
    assert access.check_password(file, "ann", "") is None
    assert access.check_password(file, "bob", "correct horse") is None
    assert access.check_password(file, "李雷", "供电营业厅选址密码") == "李雷"
    with pytest.raises(InputError, match="shorter than 8"):
        access.hash_password("short")


def test_failed_logins_are_throttled_per_user(tmp_path: Path) -> None:
    file = tmp_path / "users.txt"
    file.write_text(f"ann:{access.hash_password('correct horse')}\n", encoding="utf-8")
    now = [1000.0]
    throttle = access.LoginThrottle(max_failures=3, window_s=600, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.check(file, "ann", "guess") is None
    # locked: even the right password is refused until the window has passed
    with pytest.raises(InputError, match="too many failed logins for 'ann'; try again in 10 min"):
        throttle.check(file, "ann", "correct horse")
    assert throttle.check(file, "bob", "guess") is None  # other names are not affected
    now[0] += 601
    assert throttle.check(file, "ann", "correct horse") == "ann"
    assert throttle.wait_s("ann") == 0


# --------------------------------------------------------------------------------------
# libraries under the root


def test_library_names_stay_under_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert access.library_folder(root, "main") == root.resolve()
    assert access.library_folder(root, "规划 2025") == (root / "规划 2025").resolve()
    for bad in ("../x", "/etc", "a/b", "a\\b", "..", ".", ".git", "c:x", "x\0y", "", "users"):
        with pytest.raises(InputError, match="library name"):
            access.library_folder(root, bad)
    assert not root.exists()  # checking a name creates nothing


def test_symbolic_links_out_of_the_root_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "escape")
    with pytest.raises(InputError, match="outside"):
        access.library_folder(root, "escape")
    # one user's folder linked into another's is refused too
    ann = access.library_folder(root, "main", user="ann")
    ann.mkdir(parents=True)
    bob = access.library_folder(root, "main", user="bob")
    bob.mkdir(parents=True)
    os.symlink(ann, bob / "anns")
    with pytest.raises(InputError, match="outside"):
        access.library_folder(root, "anns", user="bob")


def test_each_user_has_their_own_libraries(tmp_path: Path) -> None:
    from planner.runs.library import ScenarioLibrary

    root = tmp_path / "root"
    ann = access.library_folder(root, "main", user="ann")
    bob = access.library_folder(root, "main", user="bob")
    evil = access.library_folder(root, "main", user="../ann")
    assert len({ann, bob, evil, access.library_folder(root, "main")}) == 4
    assert all(p.is_relative_to(root.resolve() / "users") for p in (ann, bob, evil))
    ScenarioLibrary(access.library_folder(root, "plans", user="ann"))
    assert access.library_names(root, user="ann") == ["main", "plans"]
    assert access.library_names(root, user="bob") == ["main"]
    assert access.library_names(root) == ["main"]  # users/ is not a library


# --------------------------------------------------------------------------------------
# the app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    scenario = write_tiny_scenario(tmp_path / "demo")
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(scenario))
    monkeypatch.setenv("PLANNER_LIBRARY_ROOT", str(tmp_path / "library"))
    for key in ("PLANNER_LIBRARY_DIR", "PLANNER_TEAM", "PLANNER_PASSWORD_FILE"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shows_only_the_login(at: AppTest) -> bool:
    keys = {getattr(w, "key", None) for w in (*at.button, *at.radio, *at.sidebar.button)}
    return "run_button" not in keys and "step" not in keys and not at.dataframe


def test_team_use_without_a_login_shows_why_and_nothing_else(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANNER_TEAM", "1")
    at = _app()
    assert _shows_only_the_login(at)
    (message,) = [e.value for e in at.error]
    assert "应用无法启动" in message  # the page's language (zh by default)
    assert "no login is configured" in message


def test_password_login(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = env / "users.txt"
    file.write_text(f"ann:{access.hash_password('correct horse')}\n", encoding="utf-8")
    monkeypatch.setenv("PLANNER_TEAM", "1")
    monkeypatch.setenv("PLANNER_PASSWORD_FILE", str(file))
    at = _app()
    assert _shows_only_the_login(at)
    at.text_input(key="login_user").input("ann")
    at.text_input(key="login_password").input("wrong password")
    at.button[0].click().run()
    assert _shows_only_the_login(at)
    assert any("not right" in str(e.value) or "不正确" in str(e.value) for e in at.error)
    at.text_input(key="login_password").input("correct horse")
    at.button[0].click().run()
    assert not at.exception
    assert not _shows_only_the_login(at)
    assert at.session_state["_auth_user"] == "ann"
    at.sidebar.button(key="logout_button").click().run()
    assert _shows_only_the_login(at)


def test_oidc_login(env: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "https://planner.example/oauth2callback",
        "cookie_secret": "test-only",
    }
    at.run()
    assert _shows_only_the_login(at)
    assert len(at.button) == 1  # "Log in with your organisation account"
    at.user = {"is_logged_in": True, "email": "ann@utility.example"}
    at.run()
    assert not at.exception
    assert not _shows_only_the_login(at)
    assert at.session_state["_auth_user"] == "ann@utility.example"


def test_saved_runs_are_per_user(env: Path) -> None:
    def as_user(email: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.secrets["auth"] = {"redirect_uri": "https://x/oauth2callback", "cookie_secret": "t"}
        at.user = {"is_logged_in": True, "email": email}
        at.run()
        assert not at.exception
        return at

    ann = as_user("ann@utility.example")
    ann.button(key="run_button").click().run()
    ann.radio(key="step").set_value("scenarios").run()
    ann.text_input(key="save_name").input("anns plan").run()
    ann.button(key="save_button").click().run()
    assert any("anns plan" in s.value for s in ann.success)

    bob = as_user("bob@utility.example")
    bob.radio(key="step").set_value("scenarios").run()
    assert not bob.dataframe  # an empty library: Ann's run is not listed
    assert "open_name" not in {getattr(w, "key", None) for w in bob.selectbox}
    # Bob cannot reach Ann's library by typing a name either
    bob.sidebar.text_input(key="library_name").input("../ann").run()
    assert any("library name" in str(e.value) for e in bob.error)
    # each user's library lies in their own folder; none at the shared root
    folders = sorted(p.parent.name for p in (env / "library").rglob("scenarios.sqlite"))
    assert [f.split("-utility")[0] for f in folders] == ["ann", "bob"]
    assert not (env / "library" / "scenarios.sqlite").exists()


def test_an_unverified_email_does_not_open_anothers_runs(env: Path) -> None:
    """An identity provider that lets accounts set their own e-mail marks it unverified:
    such an account is told apart by its ``sub``, not by the address it typed."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "https://x/oauth2callback", "cookie_secret": "t"}
    at.user = {
        "is_logged_in": True,
        "email": "ann@utility.example",
        "email_verified": False,
        "sub": "mallory-42",
        "name": "ann@utility.example",
    }
    at.run()
    assert not at.exception
    assert at.session_state["_auth_user"] == "sub:mallory-42"
    ann = access.library_folder(env / "library", "main", user="ann@utility.example")
    mallory = access.library_folder(env / "library", "main", user="sub:mallory-42")
    assert ann != mallory
    at.user = {"is_logged_in": True, "name": "ann@utility.example"}  # no e-mail, no sub
    at.run()
    assert _shows_only_the_login(at)


def test_passwd_prints_a_password_file_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    result = CliRunner().invoke(app, ["passwd", "ann"], input="correct horse\ncorrect horse\n")
    assert result.exit_code == 0, result.output
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("ann:scrypt$")
    assert "correct horse" not in result.stdout
    file = tmp_path / "users.txt"
    file.write_text(line + "\n", encoding="utf-8")
    assert access.check_password(file, "ann", "correct horse") == "ann"


def test_team_messages_do_not_show_server_folders(env: Path) -> None:
    blocker = access.library_folder(env / "library", "blocker", user="ann@utility.example")
    blocker.parent.mkdir(parents=True)
    blocker.write_text("x", encoding="utf-8")
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "https://x/oauth2callback", "cookie_secret": "t"}
    at.user = {"is_logged_in": True, "email": "ann@utility.example"}
    at.run()
    at.sidebar.text_input(key="library_name").input("blocker").run()
    at.radio(key="step").set_value("scenarios").run()
    shown = [str(e.value) for e in at.error]
    assert any("is a file" in m and "library root" in m for m in shown), shown
    assert not any(str(env) in m for m in shown), shown
