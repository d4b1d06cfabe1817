"""Console accounts and sign-in: argon2 hashes, CSRF, lockout, sessions, the CLI."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from aduan.api.app import create_app
from aduan.complaints.staff_seed import seed_staff
from aduan.config import StaffConfig
from aduan.runtime import build_runtime
from aduan.web.console.auth import SESSION_COOKIE
from storage.models import ConsoleSession, Event, Staff
from tests.console.kit import PASSWORDS, POTHOLE, console_client, csrf, file_complaint, sign_in
from tests.support.deployment import aduan_env, run_cli, write_config


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(tmp_path: Path, sqlite_url: str) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    code = file_complaint(client, runtime, POTHOLE)
    for path in ("/console", f"/console/complaints/{code}", "/console/password"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/console/signin?next=/console")
    answer = client.get(
        "/console?status=all", headers={"HX-Request": "true"}, follow_redirects=False
    )
    assert answer.headers["hx-redirect"].startswith("/console/signin")
    # An action posted without a session changes nothing.
    token = csrf(client)
    answer = client.post(
        f"/console/complaints/{code}/progress", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console/signin"


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(
    tmp_path: Path, sqlite_url: str
) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    answer = sign_in(client, "budi")
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    token = client.cookies[SESSION_COOKIE]
    page = client.get("/console")
    assert page.status_code == 200 and "Budi Santoso" in page.text
    answer = client.post(
        "/console/signout", data={"csrf_token": csrf(client)}, follow_redirects=False
    )
    assert answer.headers["location"] == "/console/signin"
    client.cookies.set(SESSION_COOKIE, token)  # a copied cookie is worthless once signed out
    assert client.get("/console", follow_redirects=False).status_code == 303
    with Session(runtime.engine) as session:
        kinds = [e.kind for e in session.exec(select(Event).order_by(Event.id))]
    assert "signin" in kinds and "signout" in kinds


def test_behind_https_the_session_cookie_is_secure(tmp_path: Path, sqlite_url: str) -> None:
    _, client = console_client(tmp_path, sqlite_url)
    secure = TestClient(client.app, base_url="https://127.0.0.1")
    answer = sign_in(secure, "budi")
    assert answer.status_code == 303
    assert "secure" in answer.headers["set-cookie"].lower()


def test_forms_posted_without_their_csrf_token_are_refused(tmp_path: Path, sqlite_url: str) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    code = file_complaint(client, runtime, POTHOLE)
    csrf(client)
    answer = client.post("/console/signin", data={"login": "budi", "password": PASSWORDS["budi"]})
    assert answer.status_code == 403 and SESSION_COOKIE not in client.cookies
    assert sign_in(client, "budi").status_code == 303
    answer = client.post(f"/console/complaints/{code}/progress", data={"note": "dikerjakan"})
    assert answer.status_code == 403
    assert "Formulir kedaluwarsa" in answer.text
    answer = client.post(
        f"/console/complaints/{code}/progress", data={"csrf_token": "x" * 43, "note": "x"}
    )
    assert answer.status_code == 403
    with Session(runtime.engine) as session:
        statuses = [e.to_status for e in session.exec(select(Event)) if e.kind == "status"]
    assert "in_progress" not in statuses


def test_five_wrong_passwords_lock_the_account_and_are_audited(
    tmp_path: Path, sqlite_url: str
) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    for _ in range(4):
        answer = sign_in(client, "budi", "salah-sekali")
        assert answer.status_code == 401 and "salah" in answer.text
    answer = sign_in(client, "budi", "salah-sekali")
    assert answer.status_code == 429 and "15 menit" in answer.text
    # Locked: even the right password is refused now.
    assert sign_in(client, "budi").status_code == 429
    assert SESSION_COOKIE not in client.cookies
    with Session(runtime.engine) as session:
        events = session.exec(select(Event.kind).where(Event.actor == "console:budi")).all()
        budi = session.exec(select(Staff).where(Staff.login == "budi")).one()
        budi.locked_until = datetime.now(UTC) - timedelta(seconds=1)  # the lockout has passed
        session.add(budi)
        session.commit()
    kinds = list(events)
    assert kinds.count("signin_failed") == 5
    assert "signin_locked" in kinds and "signin_refused" in kinds
    assert sign_in(client, "budi").status_code == 303


def test_an_idle_session_ends(tmp_path: Path, sqlite_url: str) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    sign_in(client, "budi")
    assert client.get("/console").status_code == 200
    with Session(runtime.engine) as session:
        row = session.exec(select(ConsoleSession)).one()
        row.last_seen_at = datetime.now(UTC) - timedelta(minutes=31)
        session.add(row)
        session.commit()
    answer = client.get("/console", follow_redirects=False)
    assert answer.status_code == 303 and "/console/signin" in answer.headers["location"]


def test_the_database_holds_only_argon2_hashes(tmp_path: Path) -> None:
    database = tmp_path / "aduan.db"
    runtime, client = console_client(tmp_path, f"sqlite:///{database}")
    sign_in(client, "budi")
    with Session(runtime.engine) as session:
        hashes = [s.password_hash for s in session.exec(select(Staff))]
    assert len(hashes) == 3 and all(h and h.startswith("$argon2id$") for h in hashes)
    runtime.engine.dispose()
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = database.read_bytes()
    for password in PASSWORDS.values():
        assert password.encode() not in raw


def test_a_one_time_password_must_be_replaced_at_first_sign_in(
    tmp_path: Path, sqlite_url: str
) -> None:
    config = write_config(tmp_path / "config.yaml")
    env = aduan_env(sqlite_url)
    added = run_cli(
        ["staff", "add", "rina", "--name", "Rina", "--opd", "DPUPR", "--config", str(config)],
        env,
        tmp_path,
    )
    assert added.returncode == 0, added.stderr
    once = added.stdout.strip()
    assert len(once) >= 12 and "one-time password" in added.stderr
    runtime = build_runtime(config, sqlite_url, migrate=True)
    client = TestClient(create_app(runtime, {}), base_url="http://127.0.0.1")
    token = csrf(client)
    answer = client.post(
        "/console/signin",
        data={"login": "rina", "password": once, "csrf_token": token, "next": "/console"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console/password"
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/password"
    short = {"current": once, "new": "pendek", "repeat": "pendek", "csrf_token": token}
    assert client.post("/console/password", data=short).status_code == 400
    fresh = "rina-punya-sandi-baru"
    answer = client.post(
        "/console/password",
        data={"current": once, "new": fresh, "repeat": fresh, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    assert client.get("/console").status_code == 200


def test_staff_cli_adds_lists_resets_and_disables_accounts(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path / "config.yaml")
    env = aduan_env(sqlite_url)

    def cli(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        import subprocess
        import sys

        return subprocess.run(
            [sys.executable, "-m", "aduan", *args],
            env=env,
            cwd=tmp_path,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    first = cli(
        "staff",
        "add",
        "kominfo",
        "--name",
        "Admin",
        "--role",
        "admin",
        "--password-stdin",
        "--config",
        str(config),
        stdin="sandi-admin-pertama\n",
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""  # the password was typed, nothing to show
    assert (
        cli(
            "staff", "add", "kominfo", "--name", "X", "--role", "admin", "--config", str(config)
        ).returncode
        == 1
    )  # the login is taken
    unknown = cli("staff", "add", "x1", "--name", "X", "--opd", "NOPE", "--config", str(config))
    assert unknown.returncode == 1 and "unknown OPD" in unknown.stderr
    assert (
        cli(
            "staff", "add", "budi", "--name", "Budi", "--opd", "DPUPR", "--config", str(config)
        ).returncode
        == 0
    )
    listed = cli("staff", "list").stdout
    assert "kominfo" in listed and "admin" in listed and "budi" in listed and "DPUPR" in listed
    assert "sandi" not in listed and "$argon2" not in listed
    reset = cli("staff", "passwd", "budi")
    assert reset.returncode == 0 and len(reset.stdout.strip()) >= 12
    assert cli("staff", "disable", "budi").returncode == 0
    assert "disabled" in cli("staff", "list").stdout

    # `aduan serve` keeps the staff in step with config.yaml: console accounts stay.
    runtime = build_runtime(config, sqlite_url, migrate=True)
    seed_staff(runtime.engine, [StaffConfig(name="Grup", opd="DLH", addresses=["telegram:5"])])
    with Session(runtime.engine) as session:
        active = {s.login or s.name: s.active for s in session.exec(select(Staff))}
        kinds = [e.kind for e in session.exec(select(Event))]
    assert active == {"kominfo": True, "budi": False, "Grup": True}
    assert {"account_added", "password_set", "account_disabled"} <= set(kinds)
    client = TestClient(create_app(runtime, {}), base_url="http://127.0.0.1")
    token = csrf(client)
    answer = client.post(
        "/console/signin",
        data={"login": "kominfo", "password": "sandi-admin-pertama", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_a_configured_staff_member_with_a_login_gets_an_account(
    tmp_path: Path, sqlite_url: str
) -> None:
    staff = [{"name": "Joko", "opd": "DPUPR", "login": "joko", "addresses": ["telegram:77"]}]
    config = write_config(tmp_path / "config.yaml", staff=staff)
    env = aduan_env(sqlite_url)
    assert run_cli(["db", "upgrade"], env, tmp_path).returncode == 0
    build_runtime(config, sqlite_url, migrate=True)
    reset = run_cli(["staff", "passwd", "joko"], env, tmp_path)
    assert reset.returncode == 0, reset.stderr
    listed = run_cli(["staff", "list"], env, tmp_path).stdout
    assert "joko" in listed and "config" in listed
    refused = run_cli(["staff", "disable", "joko"], env, tmp_path)
    assert refused.returncode == 1 and "config.yaml" in refused.stderr
