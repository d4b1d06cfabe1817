"""A message handed to the group writer, with what was worked out before the write step."""

from __future__ import annotations

from dataclasses import dataclass

from aduan.rules.rulebook import Rulebook
from channels.message import InboundMessage
from classifier import Classification


@dataclass(frozen=True)
class Submission:
    """One message for `Pipeline.handle_batch`.

    `reply_shown`: the caller shows the reply in its own response and nothing else delivers it
    (the web channel without a callback), so the reply's outbox row is stored as sent.
    `classification` is of the message's text under `rules`, made outside the writer; the
    writer uses it only if those are still the rules in force and the text is what it
    classifies (else it classifies again).
    """

    inbound: InboundMessage
    reply_shown: bool = False
    rules: Rulebook | None = None
    classification: Classification | None = None
