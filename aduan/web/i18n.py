"""The pages' message catalogue: Bahasa Indonesia by default, English selectable.

Catalogues are YAML files in locales/: `id.yaml`, `en.yaml`, and per part of the site
`id.<part>.yaml`, `en.<part>.yaml` or `<part>/id.yaml` (the same keys in each language,
no key in two files); the chosen language lives in the `lang` cookie, set by /language/{lang}.
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
    """The messages of one language, from all its files (read once per process)."""
    messages: dict[str, str] = {}
    files = [
        LOCALES / f"{language}.yaml",
        *sorted(LOCALES.glob(f"{language}.*.yaml")),  # id.console.yaml, ...
        *sorted(LOCALES.glob(f"*/{language}.yaml")),  # public/id.yaml, ...
    ]
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        twice = messages.keys() & {str(key) for key in data}
        if twice:
            raise ValueError(f"{path.name}: keys already defined elsewhere: {sorted(twice)}")
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
