"""Classifier speed: messages per second on one core, next to an exact Aho-Corasick scan.

Our side is the whole `classify` call (normalisation, typo tolerance, scoring, intent,
confidence) with the shipped rules, in steady state (per-token caches warm, as in a running
server). The reference is pyahocorasick scanning the same texts, already normalised, for the
same keywords and summing their weights per category — exact matching and nothing else —
and, as the end-to-end exact alternative, the same scan after the rule-independent
normalisation (case, slang, numbers; no typo tolerance, no intents).

Run from the repository root:  .venv/bin/python -m benchmarks.classifier_speed
The script pins itself to one core (CPU 0, or --cpu N; equivalent to `taskset -c 0`). Each
figure is the best of several interleaved rounds, so a busy machine disturbs the ratio less.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import ahocorasick

from aduan.rules.datasets import load_dataset
from classifier import CompiledRules, classify, compile_rules
from classifier.normalize import base_tokens

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def build_automaton(rules: CompiledRules) -> ahocorasick.Automaton:
    """Every keyword, normalised like the classifier does, padded so it matches whole words."""
    automaton = ahocorasick.Automaton()
    for code, rule in rules.rules.categories.items():
        for term, weight in rule.keywords.items():
            key = f" {' '.join(base_tokens(term))} "
            entries = automaton.get(key, [])
            entries.append((code, weight))
            automaton.add_word(key, entries)
    automaton.make_automaton()
    return automaton


def aho_scan(automaton: ahocorasick.Automaton, text: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for _, entries in automaton.iter(text):
        for code, weight in entries:
            scores[code] = scores.get(code, 0.0) + weight
    return scores


def rate(work: Callable[[str], object], texts: Sequence[str], seconds: float) -> float:
    """Messages per second of CPU time, looping over `texts` for about `seconds`.

    CPU time of this (pinned, single-threaded) process, not wall time: on a shared machine
    other processes then do not count against either side of the comparison.
    """
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for text in texts:
            work(text)
        done += len(texts)
    return done / (time.process_time() - start)


def measure(
    rules: CompiledRules, texts: Sequence[str], seconds: float, rounds: int = 5
) -> tuple[float, float, float]:
    """(classify, Aho-Corasick on pre-normalised text, normalise + Aho-Corasick) in msg/s."""
    for text in texts:  # warm the per-token caches, as a running server has them
        classify(text, rules)
    automaton = build_automaton(rules)
    # The exact scan gets the very texts classify sees, after classify's own normalisation.
    normalised = [f" {rules.normalizer.normalize(t)} " for t in texts]
    best = [0.0, 0.0, 0.0]
    for _ in range(rounds):
        slice_ = seconds / rounds
        best[0] = max(best[0], rate(lambda t: classify(t, rules), texts, slice_))
        best[1] = max(best[1], rate(lambda t: aho_scan(automaton, t), normalised, slice_))
        best[2] = max(
            best[2],
            rate(lambda t: aho_scan(automaton, f" {' '.join(base_tokens(t))} "), texts, slice_),
        )
    return best[0], best[1], best[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--chat", type=Path, default=DATA / "chat-dev.jsonl")
    parser.add_argument("--lapor", type=Path, default=DATA / "lapor-bandung" / "dev.csv")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--cpu", type=int, default=0, help="core to pin to (-1: do not pin)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=15,
        help="interleaved rounds per figure (more, shorter rounds: a busy machine matters less)",
    )
    args = parser.parse_args()
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    pinned = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"pinned to CPU {pinned}; best of {args.rounds} interleaved rounds, CPU time")

    from aduan.config import load_config

    rules = compile_rules(load_config(args.config).ruleset())
    for name, path in (("chat messages", args.chat), ("LAPOR reports", args.lapor)):
        texts = [ex.text for ex in load_dataset(path).examples]
        ours, exact, pipeline = measure(rules, texts, args.seconds, args.rounds)
        words = sum(len(t.split()) for t in texts) / len(texts)
        print(f"{name} ({len(texts)}, {words:.0f} words on average):")
        print(f"  classify (normalise, typos, score, intent)   {ours:>10,.0f} msg/s")
        print(
            f"  Aho-Corasick scan of pre-normalised text     {exact:>10,.0f} msg/s"
            f"  -> ratio {ours / exact:.2f}x"
        )
        print(
            f"  exact pipeline: base normalise + Aho-Corasick {pipeline:>9,.0f} msg/s"
            f"  -> ratio {ours / pipeline:.2f}x"
        )


if __name__ == "__main__":
    main()
