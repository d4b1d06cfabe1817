"""The email channel's settings: passwords only from the environment, off without them."""

from __future__ import annotations

import pytest

from channels.registry import build_adapters, validate_channel_section

SECTION = {
    "address": "aduan@pemkab-contoh.go.id",
    "imap_host": "imap.pemkab-contoh.go.id",
    "imap_user": "aduan@pemkab-contoh.go.id",
    "smtp_host": "smtp.pemkab-contoh.go.id",
}


def test_channel_is_off_until_the_imap_password_is_in_the_environment() -> None:
    _, statuses = build_adapters({"email": SECTION}, env={})
    (email,) = [s for s in statuses if s.name == "email"]
    assert (email.active, email.reason) == (False, "set ADUAN_EMAIL_IMAP_PASSWORD")

    adapters, _ = build_adapters({"email": SECTION}, env={"ADUAN_EMAIL_IMAP_PASSWORD": "x"})
    assert adapters["email"].config.imap_password.get_secret_value() == "x"  # type: ignore[attr-defined]
    assert adapters["email"].config.smtp_password is None  # type: ignore[attr-defined]


def test_config_check_accepts_the_section_and_refuses_a_password_in_the_yaml() -> None:
    validate_channel_section("email", SECTION)
    with pytest.raises(ValueError, match="ADUAN_EMAIL_IMAP_PASSWORD"):
        validate_channel_section("email", {**SECTION, "imap_password": "rahasia"})


@pytest.mark.parametrize(
    ("field", "value"),
    [("address", "not-an-address"), ("imap_security", "tls"), ("idle_seconds", 3600)],
)
def test_config_check_names_the_bad_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        validate_channel_section("email", {**SECTION, field: value})
