"""The words a person wrote in a mail: HTML reduced to text, quoted replies and signatures cut."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from email_reply_parser import EmailMessage as ReplyParser

# Elements whose content is never shown to the reader.
_HIDDEN = frozenset({"script", "style", "head", "title", "template"})
# Elements that start a new line when rendered.
_BLOCKS = frozenset(
    {"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
     "blockquote", "pre", "hr", "section", "article", "header", "footer"}
)  # fmt: skip


class _TextRenderer(HTMLParser):
    """Renders HTML roughly as a mail client shows it; blockquotes become `>` quotes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.hidden = 0
        self.quote_depth = 0

    def _break(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.current)).strip()
        if text or (self.lines and self.lines[-1]):
            prefix = "> " * self.quote_depth
            self.lines.append(f"{prefix}{text}" if text else prefix.rstrip())
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self._break()
            if tag == "blockquote":
                self.quote_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self._break()
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.current.append(data)


def html_to_text(html: str) -> str:
    renderer = _TextRenderer()
    renderer.feed(html)
    renderer.close()
    renderer._break()
    return "\n".join(renderer.lines).strip()


class _IndonesianAwareReply(ReplyParser):
    """email-reply-parser, also knowing how Indonesian-language clients quote and sign.

    Gmail in Indonesian writes "Pada Sen, 23 Nov 2026 pukul 10.00 Aduan <…> menulis:", Outlook
    writes "Dari:/Dikirim:/Kepada:/Subjek:" headers, phones sign "Dikirim dari iPhone saya".
    """

    SIG_REGEX = re.compile(
        r"(--|__|-\w)|(^Sent from my (\w+\s*){1,3})|(^Dikirim dari (\w+\s*){1,3})"
    )
    QUOTE_HDR_REGEX = re.compile(r"(On.*wrote:|Pada.*menulis:)$")
    HEADER_REGEX = re.compile(
        r"^\*?(From|Sent|To|Subject|Date|Dari|Dikirim|Kepada|Subjek|Perihal|Tanggal):\*? .+"
    )
    _MULTI = (
        r"(?!(?:On|Pada).*(?:On|Pada)\s.+?(?:wrote|menulis):)((?:On|Pada)\s(.+?)(?:wrote|menulis):)"
    )
    MULTI_QUOTE_HDR_REGEX = re.compile(_MULTI, re.DOTALL | re.MULTILINE)
    MULTI_QUOTE_HDR_REGEX_MULTILINE = re.compile(_MULTI, re.DOTALL)


def strip_reply(text: str) -> str:
    """The new part of a reply: quoted text, quote headers and signatures removed."""
    reply = _IndonesianAwareReply(text).read().reply.strip()
    return reply or text.strip()
