"""Console accounts: argon2id passwords, sign-in with lockout, sessions with an idle timeout.

Accounts are staff members with a login. `aduan staff add` makes "console" accounts (kept
whatever config.yaml's `staff:` says); a `login:` in config.yaml gives a configured staff
member one. A password set without the person typing it (printed by the CLI) is temporary:
the console asks for a new one at the first sign-in. Every sign-in, failure, lockout,
sign-out and account change is an audit event.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from aduan.access.credentials import digest, new_secret
from aduan.config import ConsoleSettings
from storage.accounts import (
    accounts,
    add_session,
    audit,
    end_sessions,
    live_session,
    staff_by_login,
)
from storage.engine import transaction, within
from storage.models import Staff

HASHER = PasswordHasher()  # argon2id with the library's recommended cost
LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD = 10
# Compared against when the login is unknown, so a wrong login costs as long as a wrong password.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))
# last_seen_at is written at most this often (a write per page view is not worth it).
TOUCH_EVERY = timedelta(seconds=60)


class AccountError(ValueError):
    """An account change that cannot be made; the message says why."""


def _now() -> datetime:
    return datetime.now(UTC)


def actor_of(staff: Staff) -> str:
    """How the audit trail names a staff member acting in the console."""
    return f"staff:{staff.name} <console:{staff.login}>"


def check_login(login: str) -> str:
    login = login.strip().lower()
    if not LOGIN.fullmatch(login):
        raise AccountError(f"{login!r} is not a valid login: 2-64 letters, digits, '.', '_' or '-'")
    return login


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise AccountError("a password has at most 1024 characters")
    return password


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def _set_password(staff: Staff, password: str | None) -> str | None:
    """Hash `password` (or a fresh one-time password, returned) into the account."""
    temporary = password is None
    clear = one_time_password() if password is None else check_password(password)
    staff.password_hash = HASHER.hash(clear)
    staff.password_temporary = temporary
    staff.failed_signins, staff.locked_until = 0, None
    return clear if temporary else None


def add_account(
    engine: Engine | Session,
    login: str,
    name: str,
    role: str,
    opd: str | None,
    actor: str,
    password: str | None = None,
) -> str | None:
    """A new console account; returns its one-time password when none was given."""
    login = check_login(login)
    if role not in ("staff", "admin"):
        raise AccountError("role is staff or admin")
    if role == "staff" and not opd:
        raise AccountError("a staff account needs its OPD (--opd)")
    if not name.strip():
        raise AccountError("the account needs a name")
    with within(engine) as session:
        if staff_by_login(session, login) is not None:
            raise AccountError(f"login {login!r} is taken")
        staff = Staff(
            name=name.strip(),
            opd=opd if role == "staff" else opd or None,
            role=role,
            origin="console",
            login=login,
        )
        shown = _set_password(staff, password)
        session.add(staff)
        audit(session, "account_added", actor, f"console account {login} ({role}, {opd or '-'})")
    return shown


def set_password(
    engine: Engine | Session, login: str, actor: str, password: str | None = None
) -> str | None:
    """A new password (or a one-time one, returned); the account's sessions end."""
    with within(engine) as session:
        staff = _account(session, login)
        shown = _set_password(staff, password)
        session.add(staff)
        assert staff.id is not None
        end_sessions(session, _now(), staff_id=staff.id)
        audit(session, "password_set", actor, f"password of {staff.login} set")
    return shown


def disable_account(engine: Engine | Session, login: str, actor: str) -> None:
    """The account can no longer sign in; its sessions end at once."""
    with within(engine) as session:
        staff = _account(session, login)
        if staff.origin == "config":
            raise AccountError(
                f"{staff.login} comes from config.yaml's staff: list; remove them there"
            )
        staff.active = False
        session.add(staff)
        assert staff.id is not None
        end_sessions(session, _now(), staff_id=staff.id)
        audit(session, "account_disabled", actor, f"console account {staff.login} disabled")


def list_accounts(engine: Engine | Session) -> list[Staff]:
    with within(engine) as session:
        return list(accounts(session))


def _account(session: Session, login: str) -> Staff:
    staff = staff_by_login(session, login.strip().lower())
    if staff is None:
        raise AccountError(f"no account with login {login!r}")
    return staff


@dataclass(frozen=True)
class SignIn:
    outcome: Literal["ok", "wrong", "locked"]
    token: str | None = None
    staff: Staff | None = None


def sign_in(
    engine: Engine,
    login: str,
    password: str,
    settings: ConsoleSettings,
    where: str = "",
    now: datetime | None = None,
) -> SignIn:
    """Check a login and password; a session token when right. Failures count to a lockout."""
    now = now or _now()
    login = login.strip().lower()[:64]
    actor = f"console:{login}"
    with transaction(engine) as session:
        staff = staff_by_login(session, login) if LOGIN.fullmatch(login) else None
        if staff is None or not staff.active or not staff.password_hash:
            _verify(_DUMMY_HASH, password)
            audit(session, "signin_failed", actor, f"unknown or disabled login {where}".strip())
            return SignIn("wrong")
        if staff.locked_until is not None and staff.locked_until > now:
            audit(session, "signin_refused", actor, f"locked until {staff.locked_until:%H:%M} UTC")
            return SignIn("locked")
        if not _verify(staff.password_hash, password):
            staff.failed_signins += 1
            audit(
                session,
                "signin_failed",
                actor,
                f"wrong password ({staff.failed_signins}) {where}".strip(),
            )
            outcome: Literal["wrong", "locked"] = "wrong"
            if staff.failed_signins >= settings.failed_signins_before_lockout:
                staff.locked_until = now + timedelta(minutes=settings.lockout_minutes)
                staff.failed_signins = 0
                audit(
                    session,
                    "signin_locked",
                    actor,
                    f"{settings.failed_signins_before_lockout} wrong passwords: "
                    f"locked for {settings.lockout_minutes} min",
                )
                outcome = "locked"
            session.add(staff)
            return SignIn(outcome)
        if HASHER.check_needs_rehash(staff.password_hash):
            staff.password_hash = HASHER.hash(password)
        staff.failed_signins, staff.locked_until = 0, None
        session.add(staff)
        token = new_secret(size=32)
        assert staff.id is not None
        add_session(session, staff.id, digest(token), now)
        audit(session, "signin", actor_of(staff), f"signed in {where}".strip())
        return SignIn("ok", token, staff)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def session_staff(
    session: Session, token: str | None, settings: ConsoleSettings, now: datetime | None = None
) -> Staff | None:
    """The active staff member signed in with `token`, unless idle or too old (then ended)."""
    if not token or len(token) > 128:
        return None
    found = live_session(session, digest(token))
    if found is None:
        return None
    row, staff = found
    now = now or _now()
    idle = now - row.last_seen_at > timedelta(minutes=settings.idle_timeout_minutes)
    old = now - row.created_at > timedelta(hours=settings.max_session_hours)
    if idle or old:
        row.ended_at = now
        session.add(row)
        audit(session, "signout", actor_of(staff), "idle timeout" if idle else "session too old")
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return staff


def sign_out(session: Session, token: str, staff: Staff) -> None:
    end_sessions(session, _now(), token_hash=digest(token))
    audit(session, "signout", actor_of(staff), "signed out")


def change_own_password(session: Session, staff: Staff, current: str, new: str) -> None:
    """The signed-in person replaces their password (a temporary one, at first sign-in)."""
    if not staff.password_hash or not _verify(staff.password_hash, current):
        raise AccountError("the current password is wrong")
    if new == current:
        raise AccountError("the new password must differ from the current one")
    staff.password_hash = HASHER.hash(check_password(new))
    staff.password_temporary = False
    session.add(staff)
    audit(session, "password_set", actor_of(staff), f"{staff.login} changed their password")
