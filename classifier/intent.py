"""Is the message a complaint at all? Greetings, thanks, status requests, service questions,
and pleas that name no problem yet.

Works on normalised tokens (slang already mapped, so `makasih` arrives as `terima kasih`) plus
whether any category keyword matched: a long report that ends with "terima kasih" is still a
report, while "terima kasih, lampunya sudah nyala lagi" is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import filterfalse

from classifier.result import Intent

# Tracking codes look like ADU-7K3Q9; "STATUS" / "/status" / "cek status" lead a status request.
_CODE_RE = re.compile(r"\badu-[0-9a-z]{4,8}\b", re.IGNORECASE)
_STATUS_RE = re.compile(r"^\W*(?:/status|status|cek status|lacak)\b", re.IGNORECASE)

_TEST = frozenset({"tes", "test", "testing", "tst", "coba", "cek", "ping", "p"})
_FILLER = frozenset(
    {
        "admin", "bapak", "ibu", "kakak", "mas", "mbak", "om", "tante", "akang", "teh", "bro",
        "sis", "gan", "semua", "semuanya", "sekalian", "yth", "ya", "yah", "nya", "dong", "sih",
        "deh", "kok", "nih", "ini", "saya", "kami", "banyak", "banget", "sekali", "sangat",
        "atas", "sir", "madam", "all", "team", "tim", "<num>", "juga", "lagi", "udah",
        "sudah", "wah", "oh", "nah", "lah", "mohon", "infonya",
    }
)  # fmt: skip
_GREETING = frozenset(
    {
        "halo", "hallo", "helo", "hai", "hi", "hello", "hey", "hei", "pagi", "siang", "sore",
        "malam", "selamat", "assalamualaikum", "assalamu", "alaikum",
        "asalamualaikum", "salam", "wr", "wb", "warahmatullahi", "wabarakatuh", "sampurasun",
        "rampes", "permisi", "punten", "good", "morning", "afternoon", "evening", "night",
        "swastiastu", "shalom", "salken", "kenalan", "apa", "kabar", "spada",
    }
)  # fmt: skip
_THANKS = frozenset({"thanks", "thank", "you", "terima", "kasih", "matur", "hatur", "nuhun"})
_ACK = frozenset({"ok", "baik", "noted", "mantap", "mantab", "sae", "oke", "paham", "mengerti"})
_RESOLVED = frozenset(
    {
        "beres", "selesai", "ditangani", "diperbaiki", "nyala", "menyala", "normal", "lancar",
        "teratasi", "diangkut", "dibersihkan", "ditindaklanjuti", "berfungsi", "membaik", "bersih",
        "mengalir", "cair", "dicairkan", "jadi", "terbit", "hidup", "dipangkas",
        "ditebang", "diganti", "dikeruk", "fixed", "solved", "resolved", "done", "tuntas",
    }
)  # fmt: skip
_UNRESOLVED = frozenset({"belum", "tidak", "masih", "tapi", "namun", "padahal", "kembali"})
_SERVICE = frozenset(
    {
        "lapor", "melapor", "laporan", "pelaporan", "pengaduan", "aduan", "mengadu", "layanan",
        "complaint", "report", "submit", "operasional", "komplain", "kanal", "aplikasi", "format",
    }
)  # fmt: skip
_ASKING = frozenset(
    {
        "bagaimana", "cara", "caranya", "apakah", "bisa", "bisakah", "how", "can", "where",
        "gimana", "kemana", "dimana", "harus", "perlu", "boleh", "berapa", "kapan", "apa",
    }
)  # fmt: skip
# A plea with no problem named ("tolong dong pak, parah banget", "ada masalah di sini"): the
# citizen must say what and where before there is anything to file.
_VAGUE = frozenset(
    {
        "tolong", "tolongin", "bantu", "bantuan", "help", "please", "parah", "masalah", "problem",
        "ada", "di", "sini", "situ", "sana", "segera", "cepat", "urgent", "darurat", "ditangani",
        "ditindaklanjuti", "diperbaiki", "diurus", "bagaimana", "kenapa", "mengapa", "terus",
        "masa", "tidak", "bisa", "begini", "begitu", "seperti", "aduh", "astaga", "kecewa",
        "mau", "ingin", "lapor", "melapor", "pengaduan", "ngadu", "mengadu", "pak", "bu", "min",
        "kak", "gimana", "gini", "gitu", "kayak", "ga", "gak", "nggak", "the", "is", "here",
        "there", "bad", "very", "really", "issue", "a", "an", "i", "want", "to", "report", "ke",
        "yang", "dan", "tapi",
    }
)  # fmt: skip
_MAX_VAGUE_WORDS = 12
_MAX_QUESTION_WORDS = 16
_MAX_THANKS_WORDS = 20
_HYPOTHETICAL = frozenset({"kalau", "jika", "bagaimana", "cara", "caranya", "how", "apakah"})
_MASKS = frozenset({"<num>", "<url>", "<email>"})
# Unions used on every message, built once.
_GREETING_OR_FILLER = _GREETING | _FILLER
_SMALL_TALK = _THANKS | _ACK | _FILLER | _GREETING
_VAGUE_OR_SMALL_TALK = _VAGUE | _SMALL_TALK


def detect_intent(text: str, words: Sequence[str], has_keywords: bool) -> Intent:
    """Classify the conversational intent of a message (see `classifier.result.Intent`)."""
    content = words
    if "<num>" in words or "<url>" in words or "<email>" in words:
        content = list(filterfalse(_MASKS.__contains__, words))
    if not content or _TEST.issuperset(content):
        return "empty"
    if _has_code(text) or (len(content) <= 4 and _STATUS_RE.match(text)):
        return "status"
    if len(content) > _MAX_THANKS_WORDS and not _SMALL_TALK.issuperset(content):
        # Too long to thank or ask about the service, and more than greetings and fillers:
        # a report (the checks below agree; this skips building the vocabulary).
        return "complaint"
    vocab = set(content)
    if not vocab.isdisjoint(_GREETING) and vocab <= _GREETING_OR_FILLER:
        return "greeting"
    if _is_thanks(content, vocab, has_keywords):
        return "thanks"
    if _is_service_question(text, content, vocab, has_keywords):
        return "question"
    if not has_keywords and len(content) <= _MAX_VAGUE_WORDS and vocab <= _VAGUE_OR_SMALL_TALK:
        return "vague"
    return "complaint"


def _has_code(text: str) -> bool:
    # A code contains "adu-" (in any case): check that cheaply before the regex.
    return "-" in text and "adu-" in text.lower() and _CODE_RE.search(text) is not None


def _is_thanks(content: Sequence[str], vocab: set[str], has_keywords: bool) -> bool:
    thanked = "thanks" in vocab or "nuhun" in vocab
    thanked = thanked or ("kasih" in vocab and _has_bigram(content, "terima", "kasih"))
    thanked = thanked or ("thank" in vocab and "you" in vocab)
    if not thanked and vocab.isdisjoint(_ACK):
        return False
    if vocab <= _SMALL_TALK:
        return True
    if not thanked:
        return False
    if len(content) > _MAX_THANKS_WORDS:
        return False  # a report that ends with "terima kasih"
    # Thanks for a fixed problem says it is done ("sudah nyala lagi") and nothing is left.
    if _says_resolved(content) and vocab.isdisjoint(_UNRESOLVED):
        return True
    return not has_keywords and len(content) <= 6


def _says_resolved(words: Sequence[str]) -> bool:
    return any(w in _RESOLVED and "sudah" in words[max(0, i - 3) : i] for i, w in enumerate(words))


def _is_service_question(
    text: str, content: Sequence[str], vocab: set[str], has_keywords: bool
) -> bool:
    if vocab.isdisjoint(_SERVICE):
        return False
    # A question about the service is short; a long text that asks something is a report.
    if len(content) > _MAX_QUESTION_WORDS or ("?" not in text and vocab.isdisjoint(_ASKING)):
        return False
    if not has_keywords:
        return True
    # "kalau mau lapor pohon tumbang ..." asks how to report, it does not report.
    first_service = next(i for i, w in enumerate(content) if w in _SERVICE)
    return any(w in _HYPOTHETICAL for w in content[:first_service])


def _has_bigram(words: Sequence[str], first: str, second: str) -> bool:
    """Whether `second` directly follows `first` somewhere in `words`."""
    last = len(words) - 1
    i = -1
    while True:
        try:
            i = words.index(first, i + 1)
        except ValueError:
            return False
        if i < last and words[i + 1] == second:
            return True
