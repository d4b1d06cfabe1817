"""The pipeline: receive -> dedupe -> converse -> classify -> file -> acknowledge -> dispatch.

One inbound message is handled in one transaction: the message, the complaint, its events
and every outbox row commit together, or none of them does. Each step is a function over the
message's `Turn`; this module only says in which order they run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from aduan.areas.boundaries import Boundaries
from aduan.areas.points import placed_by_point
from aduan.complaints.acknowledge import acknowledge
from aduan.complaints.converse import (
    answer_citizen_action,
    answer_command,
    answer_small_talk,
    answer_unreadable,
    read_choice,
)
from aduan.complaints.filing import file_complaint, same_problem
from aduan.complaints.group_commit import GroupCommit
from aduan.complaints.joining import join_own, join_recent
from aduan.complaints.outcome import Outcome
from aduan.complaints.receive import duplicate, find_delivery, find_or_add_contact, store_inbound
from aduan.complaints.staff_business import (
    addresses_staff_work,
    answer_staff,
    in_opd_chat,
    opd_chat_addresses,
)
from aduan.complaints.staff_directory import StaffDirectory
from aduan.complaints.submission import Submission
from aduan.complaints.turn import Turn
from aduan.rules.rulebook import Rulebook, RulebookProvider
from channels.contract import Cursor
from channels.message import InboundMessage
from classifier import classify, with_category
from dispatch.context import DispatchContext
from dispatch.enqueue import dispatch_to_opd
from dispatch.media import queue_media
from storage.complaints import code_clash
from storage.cursors import save_cursor
from storage.engine import connection_lost, transaction
from storage.messages import link_to_complaint
from storage.models import Complaint, Status

__all__ = ["Outcome", "Pipeline"]

log = logging.getLogger("aduan.complaints.pipeline")

Result = TypeVar("Result")
PG_WRITERS = 4  # group-commit threads per process on PostgreSQL
CODE_DRAWS = 3  # complaint codes drawn for one message at most (31**5 of them: clashes are rare)


def again_if_lost(work: Callable[[], Result]) -> Result:
    """`work` (one transaction), run once more if the database connection broke under it.

    The broken connection's transaction rolled back (or, lost during its commit, may have
    committed: the second run then finds the deliveries stored and answers them as such).
    """
    try:
        return work()
    except Exception as exc:
        if not connection_lost(exc):
            raise
        log.warning("database connection lost (%s); trying once more", type(exc).__name__)
    return work()


class Pipeline:
    def __init__(
        self,
        engine: Engine,
        ctx: DispatchContext,
        rules: RulebookProvider,
        clock: Callable[[], datetime] | None = None,
        staff: StaffDirectory | None = None,
        boundaries: Boundaries | None = None,
    ) -> None:
        self.engine = engine
        self.ctx = ctx
        self.rules = rules
        self.clock = clock or ctx.clock  # one clock with the actions it takes
        self.staff = staff or StaffDirectory()
        self.boundaries = boundaries  # places a GPS point in its kecamatan (areas.boundaries)
        # SQLite has one writer at a time; PostgreSQL's transactions run side by side, and a
        # writer there mostly waits on round trips.
        writers = 1 if engine.dialect.name == "sqlite" else PG_WRITERS
        self._group: GroupCommit[Submission] = GroupCommit(self.handle_batch, writers=writers)
        self._rules_seen: Rulebook | None = None  # the rules the writer last found in force

    async def submit(self, inbound: InboundMessage, reply_shown: bool = False) -> Outcome:
        """Handle `inbound` on the process's writer, committed with whatever else is queued.

        `reply_shown`: the caller shows the reply in its response and nothing else delivers
        it (see `Submission`). Returns once the transaction holding it has committed (raises
        if it failed).
        """
        outcome = await self._group.handle(self._prepare(inbound, reply_shown))
        assert isinstance(outcome, Outcome)
        return outcome

    def _prepare(self, inbound: InboundMessage, reply_shown: bool) -> Submission:
        """Classify the text here, on the caller's side, under the rules last seen in force:
        the writer, which serialises every message of the process, is spared it."""
        rules = self._rules_seen
        if rules is None:
            return Submission(inbound, reply_shown=reply_shown)
        try:
            classification = classify(inbound.text, rules.compiled)
        except Exception:  # the writer classifies again, and fails only this message
            log.exception("early classification of %s failed", inbound.external_id)
            return Submission(inbound, reply_shown=reply_shown)
        return Submission(inbound, reply_shown, rules, classification)

    def close(self) -> None:
        """Stop the writer thread (a later `submit` starts it again)."""
        self._group.close()

    def handle_batch(
        self, items: Sequence[InboundMessage | Submission]
    ) -> list[Outcome | Exception]:
        """Handle each message in its own savepoint of one transaction; commit once.

        A message that fails gets its exception in its place and changes nothing; the others
        commit. Raises if the commit itself fails (then none of them is stored).
        """
        submissions = [i if isinstance(i, Submission) else Submission(i) for i in items]
        return again_if_lost(lambda: self._commit_batch(submissions))

    def _commit_batch(self, submissions: Sequence[Submission]) -> list[Outcome | Exception]:
        """Every message in one transaction, without a savepoint each (they cost more than
        the rest of the writer's statements); if any fails, the transaction rolls back and
        each message runs again in a savepoint of its own."""
        try:
            with transaction(self.engine) as session:
                results: list[Outcome | Exception] = []
                for submission in submissions:
                    results.append(self._handle(session, submission))
                    session.flush()  # the next message's Core reads see this one's ORM changes
                return results
        except Exception as exc:
            if connection_lost(exc):
                raise  # not a message's fault: the whole batch is handled again
            log.warning(
                "a batch of %d rolled back (%s): each message again in its own savepoint",
                len(submissions),
                type(exc).__name__,
            )
        return self._commit_each_saved(submissions)

    def _commit_each_saved(self, submissions: Sequence[Submission]) -> list[Outcome | Exception]:
        results: list[Outcome | Exception] = []
        with transaction(self.engine) as session:
            for submission in submissions:
                try:
                    results.append(self._handle_saved(session, submission))
                except Exception as exc:
                    if connection_lost(exc):
                        raise  # not this message's fault: the whole batch is handled again
                    inbound = submission.inbound
                    log.exception("message %s/%s failed", inbound.channel, inbound.external_id)
                    results.append(exc)
        return results

    def _handle_saved(self, session: Session, submission: Submission) -> Outcome:
        """`_handle` in a savepoint: on failure the message leaves nothing behind. A complaint
        code drawn twice is drawn again."""
        for draw in range(1, CODE_DRAWS + 1):
            try:
                with session.begin_nested():
                    return self._handle(session, submission)
            except Exception as exc:
                # Rows written by Core inserts stay in the identity map past the rollback to
                # the savepoint; drop them all (earlier messages were flushed when it began).
                session.expunge_all()
                if not isinstance(exc, IntegrityError):
                    raise
                if code_clash(exc) and draw < CODE_DRAWS:
                    continue
                # Another process stored the same delivery between our check and our insert.
                seen = find_delivery(session, submission.inbound)
                if seen is None:
                    raise
                return duplicate(session, seen)
        raise AssertionError("unreachable: the last draw returns or raises")

    def handle(self, inbound: InboundMessage, cursor: Cursor | None = None) -> Outcome:
        """Handle one message; a polling channel's `cursor` commits in the same transaction."""
        return again_if_lost(lambda: self._handle_one(inbound, cursor))

    def _handle_one(self, inbound: InboundMessage, cursor: Cursor | None) -> Outcome:
        for draw in range(1, CODE_DRAWS + 1):
            try:
                with transaction(self.engine) as session:
                    if cursor is not None:
                        save_cursor(session, inbound.channel, cursor)
                    return self._handle(session, Submission(inbound))
            except IntegrityError as exc:
                if not (code_clash(exc) and draw < CODE_DRAWS):
                    failure = exc
                    break
        # Another worker stored the same delivery between our check and our commit.
        with transaction(self.engine) as session:
            seen = find_delivery(session, inbound)
            if seen is None:
                raise failure
            if cursor is not None:
                save_cursor(session, inbound.channel, cursor)
            return duplicate(session, seen)

    def _handle(self, session: Session, submission: Submission) -> Outcome:
        inbound = submission.inbound
        seen = find_delivery(session, inbound)
        if seen is not None:
            return duplicate(session, seen)
        turn = self._receive(session, submission)
        outcome = self._converse(turn) or self._classify_and_file(turn)
        if turn.complaint_id is not None:
            link_to_complaint(session, turn.message_id, turn.complaint_id)
            self._fetch_media(turn)
        return outcome

    def _fetch_media(self, turn: Turn) -> None:
        """The photos of this message are fetched by the outbox, never in this request."""
        urls = [attachment.url for attachment in turn.inbound.attachments]
        if turn.inbound.channel not in turn.ctx.media_channels:
            return  # links the sender gave (the web channel) stay what they are
        complaint = turn.session.get(Complaint, turn.complaint_id) if urls else None
        if complaint is not None:
            queue_media(
                turn.session, complaint, turn.ctx.media, turn.inbound.channel, urls, turn.now
            )

    def _receive(self, session: Session, submission: Submission) -> Turn:
        """Store the message; fetch the rules in force, once, for every later step."""
        inbound = submission.inbound
        rules = self._rules_seen = self.rules()
        ctx = replace(self.ctx, category_names=rules.category_names)
        contact, new_contact = find_or_add_contact(session, inbound, ctx)
        return Turn(
            session=session,
            inbound=inbound,
            ctx=ctx,
            rules=rules,
            now=self.clock(),
            contact=contact,
            new_contact=new_contact,
            message_id=store_inbound(session, inbound, contact),
            staff=self.staff.find(session, inbound.sender),
            reply_shown=submission.reply_shown,
            # Classified before the writer under these very rules: valid for its text.
            early=submission.classification if submission.rules is rules else None,
        )

    def _converse(self, turn: Turn) -> Outcome | None:
        """Staff business, a command, media for a recent complaint or a citizen's follow-up."""
        if turn.inbound.category is not None:  # a report filed under a chosen category
            turn.text = turn.inbound.text
            return None
        # Destinations may change while running (OPDs follow config.yaml): read them per turn.
        opd_chat = in_opd_chat(turn, opd_chat_addresses(turn.ctx.destinations))
        if opd_chat or (turn.staff is not None and addresses_staff_work(turn)):
            return answer_staff(turn, opd_chat)
        read_choice(turn)
        return (
            answer_unreadable(turn)
            or answer_command(turn)
            or join_recent(turn, self.boundaries)
            or answer_citizen_action(turn)
        )

    def _classify_and_file(self, turn: Turn) -> Outcome:
        early_fits = turn.early is not None and turn.text == turn.inbound.text
        turn.classification = turn.early if early_fits else classify(turn.text, turn.rules.compiled)
        assert turn.classification is not None
        if turn.inbound.category is not None:
            turn.classification = with_category(
                turn.classification, turn.inbound.category, turn.rules.compiled
            )
        if not turn.classification.is_complaint:
            return answer_small_talk(turn)
        turn.classification = placed_by_point(
            turn.session, turn.classification, turn.inbound.location, self.boundaries
        )
        same = same_problem(turn)
        if same is not None and same.contact_id == turn.contact.id:
            return join_own(turn, same)
        complaint, secret = file_complaint(turn, same)
        reply, choices = acknowledge(turn, complaint, same)
        if same is None:
            self._dispatch(turn, complaint)
        log.info(
            "complaint %s filed: %s -> %s (%s%s)",
            complaint.code,
            complaint.category,
            complaint.opd,
            complaint.status,
            f", same as {same.code}" if same else "",
        )
        return Outcome.about(
            "linked" if same else "complaint",
            complaint,
            reply=reply,
            classification=turn.classification,
            choices=choices,
            tracking_secret=secret,
        )

    def _dispatch(self, turn: Turn, complaint: Complaint) -> None:
        """Send a routed complaint to its OPD (one waiting for review waits for an admin)."""
        if complaint.status == Status.routed:
            key = f"dispatch:{complaint.code}:1"
            dispatch_to_opd(
                turn.session, complaint, turn.ctx, "complaint.created", key, now=turn.now
            )
