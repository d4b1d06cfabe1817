"""Real servers for the email channel: a private Dovecot and an SMTP catcher per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.channels.email.servers import Dovecot, MailCatcher


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    catcher = MailCatcher()
    yield catcher
    catcher.close()
