"""The email channel: see channels/email/adapter.py and docs/channels/email.md."""

from channels.email.adapter import EmailAdapter

__all__ = ["EmailAdapter"]
