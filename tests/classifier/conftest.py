from __future__ import annotations

from pathlib import Path

import pytest

from classifier import CompiledRules, compile_rules
from classifier.rules import RuleSet

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shipped_rules() -> CompiledRules:
    from aduan.config import load_config

    return compile_rules(load_config(ROOT / "config.yaml").ruleset())


@pytest.fixture(scope="session")
def tiny_rules() -> CompiledRules:
    return compile_rules(
        RuleSet.model_validate(
            {
                "categories": {
                    "banjir": {"opd": "BPBD", "name": {"id": "Banjir"}, "keywords": {"banjir": 3}},
                    "sampah": {
                        "opd": "DLH",
                        "name": {"id": "Sampah"},
                        "keywords": {"sampah": 3, "tps": 2},
                        "negative": ["bank sampah"],
                    },
                    "lampu_jalan": {
                        "opd": "DISHUB",
                        "name": {"id": "Lampu"},
                        "keywords": {"lampu jalan": 3, "lampu": 1, "jalan": 0.5},
                    },
                    "lainnya": {"opd": "TRIAGE", "name": {"id": "Lainnya"}},
                },
                "settings": {"threshold": 0.5, "margin": 0.1},
            }
        )
    )
