"""Made-up complaint texts for the intake benchmarks: categories, places and details varied.

Written for the benchmarks (no evaluation data): `benchmarks/intake.py` hands these lists to
its wrk script, `benchmarks/intake_inprocess.py` draws from them directly.
"""

from __future__ import annotations

import random

SUBJECTS = [
    "Jalan berlubang besar",
    "Aspal jalan rusak parah dan retak",
    "Sampah menumpuk",
    "Tumpukan sampah liar berbau busuk",
    "Lampu penerangan jalan mati",
    "Lampu PJU padam total",
    "Banjir setinggi lutut",
    "Genangan air tidak surut",
    "Air PDAM tidak mengalir",
    "Pipa PDAM bocor",
    "Pohon tumbang menutup jalan",
    "Parkir liar memakan badan jalan",
    "Pedagang kaki lima menutup trotoar",
    "Saluran drainase tersumbat",
    "Jembatan kayu hampir roboh",
    "Kabel listrik menjuntai",
    "Anak putus sekolah tidak dapat bantuan",
    "Pelayanan puskesmas sangat lambat",
    "Antrean KTP elektronik berhari-hari",
    "Lampu lalu lintas rusak",
]
PLACES = [
    "Jl. Merdeka",
    "Jl. Sudirman",
    "gang Mawar",
    "pasar Cicalengka",
    "perumahan Griya Asri",
    "desa Sukamaju",
    "kelurahan Baleendah",
    "dekat SDN 3",
    "depan masjid Al-Ikhlas",
    "simpang tiga Banjaran",
    "kampung Cibodas",
    "Jl. Raya Soreang",
    "terminal Majalaya",
    "kompleks Taman Kopo",
    "dusun Karangsari",
    "Jl. Ahmad Yani",
]
DETAILS = [
    "motor sering jatuh",
    "warga terganggu",
    "sudah dilaporkan ke RT tapi belum ada tindakan",
    "anak-anak takut lewat",
    "bau menyengat sampai ke rumah",
    "mohon segera ditangani",
    "sudah lama dibiarkan",
    "membahayakan pengendara",
    "tolong dicek petugas",
    "kami sangat dirugikan",
    "terjadi tiap hujan deras",
    "sudah hampir sebulan",
]
TIMES = [
    "sejak kemarin",
    "sudah tiga hari",
    "sejak subuh",
    "seminggu terakhir",
    "dari bulan lalu",
    "tiap malam",
]


def complaint_text(rng: random.Random, key: str, subject: str | None = None) -> str:
    """One made-up complaint, `key` in it (as the wrk script writes them)."""
    return (
        f"{subject or rng.choice(SUBJECTS)} di {rng.choice(PLACES)} nomor {rng.randint(1, 300)} "
        f"RT {rng.randint(1, 20):02d}/RW {rng.randint(1, 15):02d}, {rng.choice(DETAILS)}, "
        f"{rng.choice(TIMES)}. ({key})"
    )


def lua_tables() -> str:
    """The lists as Lua tables, for the wrk script."""
    lines = []
    for name, items in (
        ("subjects", SUBJECTS),
        ("places", PLACES),
        ("details", DETAILS),
        ("times", TIMES),
    ):
        quoted = ", ".join(f'"{item}"' for item in items)
        lines.append(f"local {name} = {{ {quoted} }}")
    return "\n".join(lines) + "\n"
