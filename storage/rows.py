"""Rows written at once with a Core INSERT, for the hot intake path."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar

from pydantic.fields import FieldInfo
from sqlalchemy import Insert, Table, insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel

Row = TypeVar("Row", bound=SQLModel)


@cache
def _insert(table: Table) -> tuple[Insert, tuple[str, ...]]:
    """The prebuilt INSERT for `table` and the columns it takes (all but the id)."""
    return insert(table), tuple(c.name for c in table.columns if c.name != "id")


@cache
def _defaults(model: type[SQLModel]) -> tuple[dict[str, Any], tuple[tuple[str, FieldInfo], ...]]:
    """The fields' defaults that can be shared as they are, and the fields whose default is
    made anew for each object (a factory, or a mutable value)."""
    shared: dict[str, Any] = {}
    made: list[tuple[str, FieldInfo]] = []
    for name, field in model.model_fields.items():
        if field.is_required():
            continue
        if field.default_factory is None and not isinstance(field.default, list | dict | set):
            shared[name] = field.default
        else:
            made.append((name, field))
    return shared, tuple(made)


def built(model: type[Row], values: Mapping[str, Any]) -> Row:
    """A new `model` object of `values` (the fields' defaults for the rest), as `model(**values)`
    makes it but built as SQLAlchemy builds a loaded row: without an attribute event per field,
    which costs more than the INSERT on the intake hot path. Values are taken as they are."""
    row: Row = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    shared, made = _defaults(model)
    fields = dict(shared)
    for name, field in made:
        if name not in values:
            fields[name] = field.get_default(call_default_factory=True)
    fields.update(values)
    row.__dict__.update(fields)
    row.__pydantic_fields_set__.update(values)
    return row


def insert_now(session: Session, row: SQLModel) -> None:
    """INSERT a new `row` now and make it a persistent object of `session`.

    Costs a fraction of `session.add` and a flush. The row gets its id; later changes to it
    are flushed as UPDATEs as usual. A unique violation is raised here, not at the next flush.
    Pending changes are not flushed first: `row` can only refer to rows already inserted.
    """
    statement, columns = _insert(row.__table__)  # type: ignore[attr-defined]
    values = {name: getattr(row, name) for name in columns}
    key = session.connection().execute(statement, values).inserted_primary_key
    assert key is not None  # an INSERT of one row always has it
    row.id = key[0]
    make_transient_to_detached(row)
    session.add(row)


def persistent(session: Session, model: type[Row], values: Mapping[Any, Any]) -> Row:
    """The object of `session` for a row read with Core: the one it holds, else one made now.

    An object the session already holds (with changes not yet flushed, perhaps) wins over the
    row, as an ORM load would have it; a new one is tracked like a loaded row.
    """
    held = session.identity_map.get(session.identity_key(model, values["id"]))
    if held is not None:
        return held
    row = built(model, values)
    make_transient_to_detached(row)
    session.add(row)
    return row
