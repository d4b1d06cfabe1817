"""What an SMS costs: segments as carriers count them, and replies kept plain and short."""

from __future__ import annotations

from channels.twilio.sms_text import count_segments, fit_segments, plain_text

ACK = (
    "Laporan diterima. Kode: ADU-7K3Q9. Kategori: Jalan rusak. Diteruskan ke: Dinas Pekerjaan "
    "Umum dan Penataan Ruang. Target selesai: 25 Nov 2026 17:00. Cek status: kirim STATUS ADU-7K3Q9"
)


def test_segments_are_counted_as_carriers_count_them() -> None:
    assert (count_segments("a" * 160).encoding, count_segments("a" * 160).count) == ("GSM-7", 1)
    assert count_segments("a" * 161).count == 2
    assert count_segments("a" * 306).count == 2 and count_segments("a" * 307).count == 3
    assert count_segments("€" * 80).count == 1 and count_segments("€" * 81).count == 2
    assert (count_segments("😀" + "a" * 60).encoding, count_segments("😀" + "a" * 60).count) == (
        "UCS-2",
        1,
    )
    assert count_segments("😀" + "a" * 69).count == 2  # the emoji is two UTF-16 units


def test_one_emoji_would_triple_the_cost_so_replies_are_made_plain() -> None:
    fancy = f"{ACK} 🙏 “Terima kasih” — Pemkab…"
    assert count_segments(fancy).encoding == "UCS-2" and count_segments(fancy).count == 4
    plain = plain_text(fancy)
    assert plain.endswith('"Terima kasih" - Pemkab...')
    assert count_segments(plain).encoding == "GSM-7" and count_segments(plain).count == 2


def test_accents_are_kept_in_gsm7_or_folded_and_other_scripts_kept() -> None:
    assert plain_text("café Ōsaka") == "café Osaka"  # é is GSM-7, Ō is not
    assert plain_text("مرحبا") == "مرحبا"  # no plain form: sent as UCS-2 rather than lost


def test_long_text_is_cut_at_a_word_within_the_segment_budget() -> None:
    long = " ".join(["pesan"] * 200)
    cut = fit_segments(long, 2)
    assert count_segments(cut).count == 2 and cut.endswith("pesan...")
    assert fit_segments(ACK, 2) == ACK
