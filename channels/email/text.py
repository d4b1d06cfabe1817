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


# The line a client puts above a forwarded mail (Gmail in English and Indonesian, Thunderbird,
# Apple Mail), and the header block under it that names the original's sender.
_FORWARD_MARK = re.compile(
    r"^[ \t>]*(?:-{4,}\s*(?:forwarded message|pesan terusan|pesan yang diteruskan)\s*-{4,}"
    r"|(?:begin forwarded message|awal pesan yang diteruskan|pesan yang diteruskan):)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# Outlook forwards as it replies (a rule, then From/Sent/To/Subject; in HTML the rule is an <hr>
# and only the header block is left); only the subject tells a forward.
_OUTLOOK_BLOCK = re.compile(
    r"^[ \t]*(?:(?:_{10,}|-{5,}\s*original message\s*-{5,})[ \t]*$|(?=\*?(?:From|Dari)\s*:))",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|tr|wg|terusan)\s*:", re.IGNORECASE)
_HEADER_LINE = re.compile(
    r"^[ \t>]*\*?(?:From|Sent|Date|To|Cc|Subject|Reply-To|Dari|Dikirim|Tanggal|Kepada|Subjek"
    r"|Perihal)\s*:\*?.*$",
    re.IGNORECASE,
)


def strip_reply(text: str) -> str:
    """The new part of a reply: quoted text, quote headers and signatures removed."""
    reply = _IndonesianAwareReply(text).read().reply.strip()
    return reply or text.strip()


def _without_headers(block: str) -> str:
    """A forwarded mail's text without the From/Date/Subject/To lines the client wrote above it."""
    lines = block.splitlines()
    index = 0
    while index < len(lines) and (not lines[index].strip() or _HEADER_LINE.match(lines[index])):
        index += 1
    return "\n".join(lines[index:])


def written_text(text: str, subject: str | None = None) -> str:
    """What the sender wrote: their new words, and the whole of any mail they forwarded."""
    mark = _FORWARD_MARK.search(text)
    if mark is None and subject and _FORWARD_SUBJECT.match(subject):
        mark = _OUTLOOK_BLOCK.search(text)
    if mark is None:
        return strip_reply(text)
    note = text[: mark.start()].strip()
    forwarded = written_text(_without_headers(text[mark.end() :]))
    return "\n\n".join(part for part in (note and strip_reply(note), forwarded) if part)
