"""Masked logs by construction: every handler of the process formats through `mask_text`.

Masking the formatted line, not the record, covers arguments, uvicorn's access lines (which
keep their own arguments) and tracebacks alike.
"""

from __future__ import annotations

import logging

from channels.masking import mask_text


class MaskingFormatter(logging.Formatter):
    """Formats as `inner` does, then masks addresses and secrets in the whole line."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(self.inner.format(record))


def mask_every_handler() -> None:
    """Wrap the formatter of every handler configured so far (root, uvicorn, libraries)."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    handlers = [handler for logger in loggers for handler in getattr(logger, "handlers", [])]
    # The last resort prints warnings when nothing is configured (every CLI command but serve).
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for handler in handlers:
        if not isinstance(handler.formatter, MaskingFormatter):
            handler.setFormatter(MaskingFormatter(handler.formatter))


QUIET_LOGGERS = ("httpx", "twilio.http_client")  # they log request URLs, some carrying tokens


def configure_logging(level: int = logging.INFO) -> None:
    """Log lines with time, level and logger, masked; client libraries' URL chatter quiet."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    mask_every_handler()
