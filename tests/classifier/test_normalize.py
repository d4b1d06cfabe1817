from __future__ import annotations

import pytest

from classifier.normalize import Normalizer, base_tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Got MAMPET parahhh", "got tersumbat parah"),
        (
            "jln rusak dket sklh, udh lama gk dibenerin",
            "jalan rusak dekat sekolah sudah lama tidak diperbaiki",
        ),
        ("tlg mhn yg blm sdh bgt", "tolong mohon yang belum sudah banget"),
        ("anak2 sekolah", "anak anak sekolah"),
        (
            "lapor ke https://x.id/a atau warga@example.id, 081234567",
            "lapor ke <url> atau <email> <num>",
        ),
        ("cai leding teu kaluar", "air ledeng tidak keluar"),
        ("uwuh numpuk, banyu butek", "sampah numpuk air keruh"),
        ("kagak ada angkot", "tidak ada angkot"),
        ("ＢＡＮＪＩＲ", "banjir"),
    ],
)
def test_base_normalisation(text: str, expected: str) -> None:
    assert " ".join(base_tokens(text)) == expected


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer({"banjir", "sampah", "selokan", "pohon", "drainase", "pangkas"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bnjir lagi", "banjir lagi"),  # dropped letter
        ("smpah numpuk", "sampah numpuk"),
        ("sampha", "sampah"),  # swapped letters
        ("selokane buntu", "selokan tersumbat"),  # Javanese suffix
        ("kebanjiran", "banjir"),  # formal affixes via the stemmer
        ("dipangkas", "pangkas"),
        ("mohon", "mohon"),  # a real word one letter from "pohon" stays
        ("tambak lele", "tambak lele"),
    ],
)
def test_rule_aware_normalisation(normalizer: Normalizer, text: str, expected: str) -> None:
    assert normalizer.normalize(text) == expected


def test_tokens_keep_their_raw_form(normalizer: Normalizer) -> None:
    words, raws = normalizer.tokens("bnjir parahhh")
    assert words == ["banjir", "parah"]
    assert raws == ["bnjir", "parahhh"]
