"""Check text against the subset of HTML that Telegram's Bot API accepts.

Telegram rejects a message whose HTML it cannot parse with 400 "can't parse
entities", so content is checked before it is ever sent::

    >>> html_problem("Show your <b>ID</b> first")
    >>> html_problem("Tom & Jerry")
    "a bare '&' must be written &amp;"
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
    }
)
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


def escape(text: str) -> str:
    """Escape user text so that it can sit inside an HTML-mode message."""
    return html.escape(text, quote=False)


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problem: str | None = None

    def _fail(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self._fail(f"<{tag}> is not a tag Telegram accepts")
            return
        if tag == "a" and not any(name == "href" for name, _ in attrs):
            self._fail("<a> needs an href")
        if tag == "span" and ("class", "tg-spoiler") not in attrs:
            self._fail('<span> is only allowed as <span class="tg-spoiler">')
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self._fail(f"</{tag}> does not close the last opened tag")
            return
        self.stack.pop()


def html_problem(text: str) -> str | None:
    """Return why Telegram would reject ``text`` in HTML mode, or None if it is fine."""
    without_entities = _ENTITY.sub("", text)
    if "&" in without_entities:
        return "a bare '&' must be written &amp;"
    stripped = re.sub(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?>", "", without_entities)
    if "<" in stripped or ">" in stripped:
        return "a bare '<' or '>' must be written &lt; or &gt;"
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    if checker.problem:
        return checker.problem
    if checker.stack:
        return f"<{checker.stack[-1]}> is never closed"
    return None


def visible_length(text: str) -> int:
    """Length of ``text`` after entity parsing: what Telegram counts against its limits."""
    return len(html.unescape(re.sub(r"<[^<>]*>", "", text)))
