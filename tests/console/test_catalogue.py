"""The pages' message catalogue: every part's texts load together, in both languages."""

from __future__ import annotations

from aduan.web.i18n import LANGUAGE_NAMES, catalogue


def test_every_language_has_the_same_keys_and_none_twice() -> None:
    # `catalogue` refuses a key defined in two files (one part's text would hide another's).
    keys = {language: set(catalogue(language)) for language in LANGUAGE_NAMES}
    assert keys["id"] == keys["en"]
    assert {"public_map_title", "map_title", "sign_in"} <= keys["id"]
