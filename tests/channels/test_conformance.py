"""Every webhook channel, the same behaviours: see tests/channels/conformance.py.

Adding a channel = its kit and case folder, and one line in KITS.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.channels.conformance import (
    REQUIRED,
    Case,
    Kit,
    KitSpec,
    check_inbound,
    check_send,
    load_cases,
)
from tests.channels.meta_whatsapp import kit as meta_whatsapp
from tests.channels.telegram import kit as telegram
from tests.channels.twilio import kit as twilio

KITS: dict[str, KitSpec] = {
    "twilio_sms": twilio.SMS,
    "twilio_whatsapp": twilio.WHATSAPP,
    "meta_whatsapp": meta_whatsapp.KIT,
    "telegram": telegram.KIT,
}

CASES = [(name, case) for name, spec in KITS.items() for case in load_cases(spec.cases)]


@pytest.fixture
def kit(request: pytest.FixtureRequest) -> Iterator[Kit]:
    made = KITS[request.param].make()
    yield made
    made.close()


@pytest.mark.parametrize("name", sorted(KITS))
def test_every_channel_covers_every_behaviour(name: str) -> None:
    spec = KITS[name]
    assert set(spec.cannot) <= REQUIRED, f"{name} declares unknown behaviours impossible"
    covered = {case.behaviour for case in load_cases(spec.cases)}
    assert covered >= spec.required, f"{name} lacks {sorted(spec.required - covered)}"


@pytest.mark.parametrize(
    ("kit", "case"),
    [pytest.param(name, case, id=f"{name}-{case.id}") for name, case in CASES],
    indirect=["kit"],
)
async def test_case(kit: Kit, case: Case) -> None:
    if "send" in case.data:
        await check_send(kit, case)
    else:
        await check_inbound(kit, case)
