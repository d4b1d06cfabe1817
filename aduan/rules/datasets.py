"""Labelled files read from disk for evaluation and learning: a LAPOR CSV or a chat JSONL."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from classifier.evaluate import Dataset, chat_dataset, lapor_dataset


def load_dataset(path: Path) -> Dataset:
    """A LAPOR CSV (labelled by OPD) or a chat JSONL (labelled by category or not_complaint)."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return lapor_dataset(list(csv.DictReader(handle)))
    with path.open(encoding="utf-8") as handle:
        return chat_dataset([json.loads(line) for line in handle if line.strip()])
