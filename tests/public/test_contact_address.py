"""What a citizen types as their contact, as the address kept: phones in E.164."""

from __future__ import annotations

import pytest

from aduan.complaints.contact_address import contact_address, international


@pytest.mark.parametrize(
    "typed",
    ["0812-3456-7890", "081234567890", "+62 812 3456 7890", "62812 3456 7890", "(0812) 3456.7890"],
)
def test_an_indonesian_mobile_number_however_written_is_one_address(typed: str) -> None:
    assert contact_address(typed) == "tel:+6281234567890"


def test_a_foreign_number_keeps_its_country() -> None:
    assert contact_address("+31 20 123 4567") == "tel:+31201234567"


def test_an_email_address_is_kept_lower_case() -> None:
    assert contact_address("Siti.Aminah@Example.ID") == "mailto:siti.aminah@example.id"


@pytest.mark.parametrize("typed", ["12345", "1234567", "0812-3456-7890-1234-5678", "budi", "a@b"])
def test_what_cannot_be_a_contact_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        contact_address(typed)


def test_nothing_typed_is_no_contact() -> None:
    assert contact_address("") is None


def test_a_contact_kept_before_normalising_is_still_reached() -> None:
    assert international("tel:081234567890") == "tel:+6281234567890"
    assert international("tel:+6281234567890") == "tel:+6281234567890"
    assert international("mailto:a@example.id") == "mailto:a@example.id"
    assert international("tel:12") is None
