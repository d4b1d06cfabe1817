"""The intake path reads in small steps: no function on it longer than 40 lines (issue 12).

What `benchmarks/function_lengths.py` prints, held here so that a change cannot undo it
unnoticed (the last stop's note said 0 while a later commit had made one 44 lines long).
"""

from __future__ import annotations

from benchmarks.function_lengths import INTAKE, ROOT, lengths

LIMIT = 40


def test_no_function_on_the_intake_path_is_over_40_lines() -> None:
    rows = lengths([ROOT / path for path in INTAKE])
    assert len(rows) > 300  # the walk found the intake path's code
    assert [name for n, name in rows if n > LIMIT] == []
