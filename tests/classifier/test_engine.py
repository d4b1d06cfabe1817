from __future__ import annotations

import pytest

from classifier import CompiledRules, classify


def test_routes_a_clear_complaint(tiny_rules: CompiledRules) -> None:
    result = classify("bnjir lagi di rumah", tiny_rules)
    assert (result.intent, result.category, result.opd) == ("complaint", "banjir", "BPBD")
    assert not result.needs_review
    assert 0.5 <= result.confidence <= 1
    assert result.matched[0].found_as == "bnjir"


def test_phrase_consumes_its_words(tiny_rules: CompiledRules) -> None:
    result = classify("lampu jalan mati", tiny_rules)
    assert [m.term for m in result.matched] == ["lampu jalan"]


def test_negative_term_cancels_category(tiny_rules: CompiledRules) -> None:
    result = classify("bank sampah rt kami tutup", tiny_rules)
    assert result.category == "lainnya"
    assert "sampah" not in result.scores


def test_no_keyword_falls_back_to_triage(tiny_rules: CompiledRules) -> None:
    result = classify("harga cabai naik terus", tiny_rules)
    assert (result.category, result.opd, result.needs_review) == ("lainnya", "TRIAGE", True)


def test_close_call_abstains(tiny_rules: CompiledRules) -> None:
    result = classify("banjir dan sampah di mana mana", tiny_rules)
    assert result.is_complaint and result.needs_review


def test_weak_evidence_abstains(tiny_rules: CompiledRules) -> None:
    result = classify("lampu di gang kami", tiny_rules)
    assert result.category == "lampu_jalan"
    assert result.needs_review and result.confidence < 0.5


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("", "empty"),
        ("🙏🙏", "empty"),
        ("tes", "empty"),
        ("selamat malam admin", "greeting"),
        ("assalamualaikum wr wb", "greeting"),
        ("makasih min", "thanks"),
        ("ok siap", "thanks"),
        ("terima kasih, lampu jalannya sudah nyala lagi", "thanks"),
        ("status ADU-7K3Q9", "status"),
        ("laporan saya ADU-7K3Q9 blm ada kabar", "status"),
        ("lapor bisa lewat sini ya?", "question"),
        ("kalau mau lapor pohon tumbang harus kirim foto ga?", "question"),
    ],
)
def test_not_a_complaint(shipped_rules: CompiledRules, text: str, intent: str) -> None:
    result = classify(text, shipped_rules)
    assert result.intent == intent
    assert result.category is None and result.opd is None


def test_report_ending_in_thanks_is_a_complaint(shipped_rules: CompiledRules) -> None:
    text = (
        "Selamat pagi. Jalan di RT 02 rusak berat dan berlubang sejak tahun lalu, motor sering "
        "jatuh kalau hujan, mohon segera diperbaiki. Terima kasih."
    )
    result = classify(text, shipped_rules)
    assert (result.intent, result.category) == ("complaint", "jalan_rusak")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("got mampet bgt", "drainase"),
        ("smpah numpuk di dpn pasar udh seminggu", "sampah"),
        ("pohon gede tumbang nutup jalan", "pohon"),
        ("PJU di jl raya mati semua", "lampu_jalan"),
        ("oknum kelurahan minta duit buat bikin surat", "pungli"),
        ("gaji blm dibayar 2 bulan sm pabrik", "ketenagakerjaan"),
        ("my street has been flooded since last night", "banjir"),
    ],
)
def test_shipped_rules_route_everyday_messages(
    shipped_rules: CompiledRules, text: str, category: str
) -> None:
    assert classify(text, shipped_rules).category == category
