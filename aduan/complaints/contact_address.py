"""What a citizen types as their contact, as the address Aduan keeps: `mailto:…` or `tel:+…`.

Phone numbers are kept in E.164 (`tel:+62812…`), the form Twilio and WhatsApp deliver them in,
so a citizen who gives 0812… on the report page and later texts from +62812… is one contact,
and an SMS can be sent to the number as stored. Parsing is libphonenumber's (`phonenumbers`);
a number written without a country code is read as Indonesian, as Indonesians write it.
"""

from __future__ import annotations

import re

import phonenumbers

REGION = "ID"  # the country of a number written without one (0812…)
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+?[\d\s().-]{6,31}$")


def email_address(text: str) -> str:
    """`mailto:…` for an e-mail address; ValueError for anything else."""
    if not EMAIL.match(text):
        raise ValueError("not an e-mail address")
    return f"mailto:{text.lower()}"


def phone_address(text: str) -> str:
    """`tel:+…` (E.164) for a phone number as people write it ("0812-3456-7890",
    "+62 812 3456 7890", "62812…"); ValueError when it cannot be a phone number."""
    if not PHONE.match(text):
        raise ValueError("not a phone number")
    digits = "".join(c for c in text if c.isdigit() or c == "+")
    if digits.startswith("62"):  # the country code without its plus, as often written
        digits = f"+{digits}"
    try:
        number = phonenumbers.parse(digits, REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):  # a number in use in its country
        raise ValueError("not a phone number")
    return "tel:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contact_address(text: str) -> str | None:
    """The address for what the citizen typed (None for nothing); ValueError if it is
    neither an e-mail address nor a phone number."""
    if not text:
        return None
    if "@" in text:
        return email_address(text)
    try:
        return phone_address(text)
    except ValueError:
        raise ValueError("not an e-mail address or phone number") from None


def international(contact: str) -> str | None:
    """A stored contact as a message can reach it: phones in E.164 (contacts kept before
    intake normalised them may read `tel:0812…`), e-mail as it is; None for a phone that
    names no country."""
    scheme, _, number = contact.partition(":")
    if scheme != "tel":
        return contact
    try:
        return phone_address(number)
    except ValueError:
        return None
