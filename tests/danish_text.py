"""Finding English on a Danish page or in a Danish mail.

A page is read as a person reads or hears it: its text, block by block, and the names of its
controls (``aria-label``, ``title``, ``alt``, ``placeholder``, the value of a button). Text
marked with another language (``lang="en"``, e.g. "English" in the language switch) is
skipped, and so is text marked ``translate="no"`` (codes). Each English source string of
the catalogue that Danish does not share is looked for: one word only as the whole text of
a block ("Topic" as a heading, a button "Enrol"), longer ones anywhere, with their
placeholders standing for any text.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

DANISH = Path(__file__).parents[1] / "college" / "translations" / "da" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")
# English day and month names that Danish spells differently (Danish writes them in lower case).
ENGLISH_DATE = re.compile(
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March"
    r"|June|July|October|December)\b"
)
DOUBLE_DEN = re.compile(r"\bden (mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag) den\b", re.I)

BLOCKS = {
    "address", "article", "aside", "br", "button", "caption", "dd", "details", "div", "dl",
    "dt", "fieldset", "figcaption", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "label", "legend", "li", "main", "nav", "ol", "option", "p", "section", "select",
    "summary", "table", "td", "textarea", "th", "title", "tr", "ul",
}  # fmt: skip
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
SILENT = {"script", "style", "template"}
NAMING_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


@dataclass(frozen=True)
class Phrase:
    text: str
    pattern: re.Pattern[str]


def _pattern(text: str) -> re.Pattern[str] | None:
    literal = PLACEHOLDER.sub(" ", text)
    if len(re.findall(r"[^\W\d_]", literal)) < 4:
        return None  # "%(day)s, %(time)s": too little of its own to tell the languages apart
    parts = []
    for piece in re.split(r"(%\([a-z_]+\)[sd]|%%)", text.strip()):
        if piece == "%%":
            parts.append("%")
        elif PLACEHOLDER.fullmatch(piece):
            parts.append(".+?")
        else:
            parts.append(r"\s+".join(re.escape(word) for word in piece.split(" ")))
    body = "".join(parts)
    if len(literal.split()) == 1:
        # One word ("Topic", "%(num)s sessions"): only when it is all the block says.
        return re.compile(rf"^{body}[:.]?$")
    return re.compile(rf"(?<!\w){body}(?!\w)")


def _catalogue_pairs() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    with (DANISH / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    pairs = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs.append((ids, tuple(s for s in strings if s)))
    return pairs


def _phrases(wrong: list[tuple[str, tuple[str, ...]]], right: list[str]) -> tuple[Phrase, ...]:
    """Phrases of one language (each with its counterparts) that the other never uses."""
    phrases = []
    for text, counterparts in wrong:
        pattern = _pattern(text)
        if pattern is None or text in counterparts:
            continue
        # Words both languages use ("Online", "Region") are no sign of a missing translation.
        if any(pattern.search(PLACEHOLDER.sub("x", other)) for other in right):
            continue
        phrases.append(Phrase(text, pattern))
    return tuple(phrases)


@cache
def english_phrases() -> tuple[Phrase, ...]:
    pairs = _catalogue_pairs()
    english = [(text, strings) for ids, strings in pairs for text in ids]
    return _phrases(english, [s for _ids, strings in pairs for s in strings])


@cache
def danish_phrases() -> tuple[Phrase, ...]:
    pairs = _catalogue_pairs()
    danish = [(text, ids) for ids, strings in pairs for text in strings]
    return _phrases(danish, [text for ids, _strings in pairs for text in ids])


class _Reader(HTMLParser):
    """The lines of text a person meets on a page, and the names of its controls."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.lines: list[str] = []
        self.current: list[str] = []
        self.stack: list[tuple[str, bool]] = []

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def _break(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.lines.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        language = values.get("lang")
        skip = (
            self.skipping
            or tag in SILENT
            or (language is not None and not language.startswith(self.language))
            or values.get("translate") == "no"  # codes and names, the same in any language
        )
        if tag in BLOCKS:
            self._break()
        if not skip:
            for name in NAMING_ATTRIBUTES:
                if values.get(name, "").strip():
                    self.lines.append(" ".join(values[name].split()))
            if tag == "input" and values.get("type") in {"submit", "button"}:
                self.lines.append(" ".join(values.get("value", "").split()))
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self._break()
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.current.append(data)

    def close(self) -> None:
        super().close()
        self._break()


def lines_of_html(html: str, language: str = "da") -> list[str]:
    """The lines of a page in ``language``; text marked with another language is left out."""
    reader = _Reader(language)
    reader.feed(html)
    reader.close()
    return [line for line in reader.lines if line]


def lines_of_text(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def lines_of_csv(text: str) -> list[str]:
    return [" ".join(cell.split()) for row in csv.reader(io.StringIO(text)) for cell in row]


def english_in(lines: list[str]) -> list[str]:
    """What on these lines is English: catalogue strings, dates, and "den tirsdag den"."""
    found = []
    for line in lines:
        if line.startswith(("http://", "https://")):
            continue
        for phrase in english_phrases():
            if phrase.pattern.search(line):
                found.append(f"{phrase.text!r} in {line!r}")
        if ENGLISH_DATE.search(line):
            found.append(f"an English date in {line!r}")
        if DOUBLE_DEN.search(line):
            found.append(f"'den … den' in {line!r}")
    return found


def danish_in(lines: list[str]) -> list[str]:
    """What on these lines of an English page is Danish of the catalogue, unmarked."""
    found = []
    for line in lines:
        for phrase in danish_phrases():
            if phrase.pattern.search(line):
                found.append(f"{phrase.text!r} in {line!r}")
        if DOUBLE_DEN.search(line):
            found.append(f"a Danish date in {line!r}")
    return found
