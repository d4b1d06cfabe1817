"""Put a `rules suggest --method linear` draft into this example's config.yaml, keeping the
hand-written parts: category names, SLAs and the categories curated by hand.

    .venv/bin/aduan rules suggest ../shared/data/lapor-bandung/dev.csv --method linear \
      --areas-from examples/kab-bandung/config.yaml --places-of 32.04 > draft.yaml
    .venv/bin/python examples/kab-bandung/rebuild_rules.py draft.yaml

Each learned category's `bias` and `keywords` become the draft's, and the classifier's
threshold, lead_slope, lead_offset, area weight and the figures in the comment above them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from classifier.suggest import yaml_scalar

CONFIG = Path(__file__).resolve().parent / "config.yaml"
WIDTH = 100
SETTINGS = ("threshold", "lead_slope", "lead_offset")


def keyword_block(keywords: dict[str, float]) -> list[str]:
    """`keywords: {...}` in the file's flow style, strongest first, wrapped at WIDTH."""
    lines, line = ["    keywords: {"], "     "
    for term, weight in sorted(keywords.items(), key=lambda kv: (-kv[1], kv[0])):
        item = f" {yaml_scalar(term)}: {weight:g},"
        if len(line) + len(item) > WIDTH:
            lines.append(line)
            line = "     "
        line += item
    lines += [line, "    }"]
    return lines


def rebuild(text: str, draft: dict, header: list[str]) -> str:
    lines = text.splitlines()
    settings = draft["classifier"]
    for key in SETTINGS:
        lines = [re.sub(rf"^  {key}: .*$", f"  {key}: {settings[key]}", x) for x in lines]
    weight = next((h for h in header if "areas.weight" in h), "")
    found = re.search(r"weight to ([0-9.]+)", weight)
    if found:
        lines = [re.sub(r"^    weight: [0-9.]+", f"    weight: {found[1]}", x) for x in lines]
    start = next(
        i
        for i, x in enumerate(lines)
        if x.startswith("  # 921 labelled") or x.startswith("  # Cross-validated")
    )
    lines[start : start + 2] = [f"  # {h}" for h in header[:2]]
    out: list[str] = []
    i = 0
    category = None
    while i < len(lines):
        x = lines[i]
        head = re.match(r"^  ([a-z_]+):(\s+#.*)?$", x)
        if head:
            category = head[1] if "curated by hand" not in x else None
        learned = draft["categories"].get(category) if category else None
        if learned is not None and re.match(r"^    (bias|keywords):", x):
            if x.startswith("    keywords:"):
                while not lines[i].startswith("    }") and not lines[i].endswith("}"):
                    i += 1
                if learned.get("bias"):
                    out.append(f"    bias: {learned['bias']}")
                out += keyword_block(learned.get("keywords") or {})
            i += 1
            continue
        out.append(x)
        i += 1
    return "\n".join(out) + "\n"


def main() -> None:
    raw = Path(sys.argv[1]).read_text(encoding="utf-8")
    header = [x[2:] for x in raw.splitlines() if x.startswith("# ")][3:]
    CONFIG.write_text(rebuild(CONFIG.read_text("utf-8"), yaml.safe_load(raw), header), "utf-8")


if __name__ == "__main__":
    main()
