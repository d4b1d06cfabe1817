"""Converse, staff side: messages in an OPD's chat, and staff commands or replies anywhere."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from aduan.complaints.outcome import Outcome
from aduan.complaints.receive import find_or_add_contact
from aduan.complaints.staff import handle_staff, target_complaint
from aduan.complaints.turn import Turn
from dispatch.destinations import ChatDestination, Destination
from dispatch.enqueue import message_to_contact
from storage.messages import recipient_of_outbound


def opd_chat_addresses(destinations: Mapping[str, Sequence[Destination]]) -> frozenset[str]:
    """The addresses of the OPDs' chats (groups, mailboxes) among their destinations."""
    return frozenset(
        d.address
        for dests in destinations.values()
        for d in dests
        if isinstance(d, ChatDestination)
    )


def in_opd_chat(turn: Turn, opd_chats: Collection[str]) -> bool:
    """Written in an OPD's chat, or a reply to a post there (whoever sends it)."""
    inbound = turn.inbound
    if inbound.conversation in opd_chats:
        return True
    if not inbound.reply_to or not opd_chats:
        return False
    address = recipient_of_outbound(turn.session, inbound.channel, inbound.reply_to)
    return address in opd_chats


def addresses_staff_work(turn: Turn) -> bool:
    """A staff member writing a command or replying to a complaint acts as staff."""
    return (
        turn.inbound.text.lstrip().startswith("/")
        or target_complaint(turn.session, turn.inbound, None) is not None
    )


def answer_staff(turn: Turn, opd_chat: bool) -> Outcome:
    """Carry out the staff business and answer in the chat it came from."""
    inbound = turn.inbound
    result = handle_staff(turn.session, inbound, turn.staff, turn.ctx, turn.rules, opd_chat)
    turn.concerns(result.complaint)
    if result.reply is None:
        return Outcome(kind="staff")
    where = inbound.conversation or inbound.sender
    chat, _ = find_or_add_contact(
        turn.session, inbound.model_copy(update={"sender": where}), turn.ctx
    )
    message_to_contact(
        turn.session,
        chat,
        result.reply,
        turn.reply_key,
        result.complaint,
        reply_to=inbound.external_id,
        now=turn.now,
    )
    return Outcome(
        kind="staff",
        reply=result.reply,
        complaint_code=result.complaint.code if result.complaint else None,
        status=result.complaint.status if result.complaint else None,
    )
