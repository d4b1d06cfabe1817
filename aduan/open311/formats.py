"""The spec's two formats: JSON as is, XML with a root, one element per item, UTF-8."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

from starlette.responses import Response

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# A list inside an item: the element each of its entries gets in XML.
ITEM_OF = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute"}
# Characters XML 1.0 cannot carry at all (a citizen's text may hold them): dropped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class Open311Error(Exception):
    """A request the spec says to refuse: HTTP `status`, and the error's description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def format_of(fmt: str) -> str:
    """The output format a path ends in; an unknown one is a 404 (answered in JSON)."""
    if fmt not in FORMATS:
        raise Open311Error(404, f"unknown format {fmt[:20]!r}: use .json or .xml")
    return fmt


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _add(element, key, inner)
    elif value is not None:
        element.text = _text(value)


def _add(parent: ElementTree.Element, name: str, value: Any) -> None:
    child = ElementTree.SubElement(parent, name)
    if isinstance(value, list):
        for entry in value:
            _fill(ElementTree.SubElement(child, ITEM_OF.get(name, "item")), entry)
    else:
        _fill(child, value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """`data` (a list of `item`s, or one mapping when `item` is None) under `<root>`."""
    element = ElementTree.Element(root)
    if item is None:
        _fill(element, data)
    else:
        for entry in data:
            _fill(ElementTree.SubElement(element, item), entry)
    return DECLARATION + ElementTree.tostring(element, encoding="utf-8")


def answer(
    fmt: str,
    root: str,
    item: str | None,
    data: Any,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """`data` in the format asked for."""
    if fmt == "xml":
        body = to_xml(root, item, data)
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8", "replace")
    return Response(body, status_code=status, media_type=FORMATS[fmt], headers=headers)


def error_answer(
    fmt: str, status: int, description: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The spec's error list: `[{"code": 404, "description": "..."}]`, or `<errors>`."""
    errors = [{"code": status, "description": description}]
    return answer(fmt if fmt in FORMATS else "json", "errors", "error", errors, status, headers)


def format_in_path(path: str) -> str:
    """The format a request path ends in (`.../requests.xml` -> xml); JSON when unclear."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    suffix = last.rsplit(".", 1)[-1] if "." in last else ""
    return suffix if suffix in FORMATS else "json"
