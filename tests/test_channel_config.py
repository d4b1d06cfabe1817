"""Channel sections of config.yaml: checked against each adapter's declared settings."""

from __future__ import annotations

import pytest

from channels.registry import REGISTRY, build_adapters, validate_channel_section


def test_secrets_are_refused_in_the_yaml() -> None:
    with pytest.raises(ValueError, match="secrets come from the environment"):
        validate_channel_section("web", {"callback_secret": "hunter2"})


def test_unknown_channel_and_unknown_setting_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        validate_channel_section("fax", {})
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        validate_channel_section("web", {"colour": "blue"})


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_a_channel_without_its_secrets_is_off_and_says_which_variable(name: str) -> None:
    required = [
        var
        for field, var in REGISTRY[name].secrets.items()
        if REGISTRY[name].Config.model_fields[field].is_required()
    ]
    try:
        validate_channel_section(name, {"enabled": True})
    except ValueError as exc:  # other settings may be required, but never the secrets
        assert not any(field in str(exc) for field in REGISTRY[name].secrets), exc
    active, statuses = build_adapters({name: {"enabled": True}}, env={})
    (status,) = [s for s in statuses if s.name == name]
    if required:
        assert name not in active and not status.active
        assert all(var in status.reason for var in required)
    else:  # on, or off only because other settings are missing from this bare section
        assert (name in active) == status.active
        assert status.active or status.reason.startswith("invalid settings")
