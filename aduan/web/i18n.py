"""The pages' message catalogue: Bahasa Indonesia by default, English selectable.

Catalogues are YAML files in locales/ (one per language, the same keys in each), plus one per
part of the site in its own folder (locales/public/id.yaml, ...); the chosen language lives in
the `lang` cookie, set by /language/{lang}.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from starlette.requests import Request

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("id", "en")
LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


@cache
def catalogue(language: str) -> dict[str, str]:
    """The messages of one language (read once per process)."""
    messages: dict[str, str] = {}
    for path in [LOCALES / f"{language}.yaml", *sorted(LOCALES.glob(f"*/{language}.yaml"))]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        messages.update({str(key): str(value) for key, value in data.items()})
    return messages


def translate(language: str, key: str, **values: object) -> str:
    """The message `key` in `language`, its `{placeholders}` filled; the key itself if unknown."""
    text = catalogue(language).get(key) or catalogue(LANGUAGES[0]).get(key) or key
    return text.format(**values) if values else text


def page_language(request: Request, default: str = "id") -> str:
    """The language the visitor chose (cookie), else the instance's default."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else default if default in LANGUAGES else LANGUAGES[0]
