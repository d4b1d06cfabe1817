"""The longest functions on the intake path, by lines (a figure of the architecture, issue 12).

The intake path: the domain steps (`aduan/complaints/`), the routes that take a message in,
the channels' parsing, the classifier, the outbox queueing and the storage queries they call.
Printed: every function there over the limit (40 lines, decorators and docstring included),
then the longest one.

    .venv/bin/python -m benchmarks.function_lengths [--limit 40] [PATH ...]
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTAKE = (
    "aduan/complaints",
    "aduan/api/web_channel.py",
    "aduan/api/channel_webhooks.py",
    "channels",
    "classifier/engine.py",
    "classifier/intent.py",
    "classifier/landmarks.py",
    "classifier/normalize.py",
    "classifier/places.py",
    "classifier/result.py",
    "dispatch/enqueue.py",
    "dispatch/context.py",
    "dispatch/templates.py",
    "storage/complaints.py",
    "storage/contacts.py",
    "storage/messages.py",
    "storage/outbox.py",
    "storage/staff.py",
)


def lengths(paths: list[Path]) -> list[tuple[int, str]]:
    """(lines, `file:line name`) of every function and method under `paths`, longest first."""
    rows = []
    for top in paths:
        for path in sorted(top.rglob("*.py")) if top.is_dir() else [top]:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                    name = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
                    rows.append((node.end_lineno - start + 1 if node.end_lineno else 0, name))
    return sorted(rows, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("paths", nargs="*", default=list(INTAKE))
    args = parser.parse_args()
    rows = lengths([ROOT / path for path in args.paths])
    over = [(n, name) for n, name in rows if n > args.limit]
    for n, name in over:
        print(f"{n:4} {name}")
    print(f"functions over {args.limit} lines: {len(over)} of {len(rows)}")
    if rows:
        print(f"longest: {rows[0][0]} lines, {rows[0][1]}")


if __name__ == "__main__":
    main()
