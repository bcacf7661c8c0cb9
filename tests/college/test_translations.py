"""The Danish catalogue holds every string the code and templates mark, translated for real.

The extraction is the one `make extract-messages` runs (its arguments are read from the
Makefile), into a temporary file, so the check cannot drift from what a translator gets.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
DANISH = ROOT / "college" / "translations" / "da" / "LC_MESSAGES" / "messages.po"


def makefile_extract_args() -> list[str]:
    found = re.search(r"^EXTRACT_ARGS := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert found, "the Makefile names its extraction arguments in EXTRACT_ARGS"
    return shlex.split(found.group(1))


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def msgid(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not message.fuzzy and all(s.strip() for s in strings) and len(strings) > 0


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = tmp_path_factory.mktemp("extract") / "messages.pot"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        CommandLineInterface().run(
            ["pybabel", "--quiet", "extract", *makefile_extract_args(), "-o", str(pot), "."]
        )
    return read_catalogue(pot)


def test_extraction_reads_the_shared_macros(extracted: Catalog):
    """Folders starting with "_" are read: the form and pagination macros live in one."""
    found = {msgid(m): m for m in extracted if m.id}
    for text in ("Please check the form", "Page %(page)s of %(pages)s", "Next page"):
        assert text in found, f"{text!r} is not extracted"
        assert any("_macros" in path for path, _line in found[text].locations)


def test_every_extracted_string_is_translated_into_danish(extracted: Catalog):
    danish = {msgid(m): m for m in read_catalogue(DANISH) if m.id}
    missing = sorted(msgid(m) for m in extracted if m.id and msgid(m) not in danish)
    assert not missing, f"{len(missing)} strings are not in the Danish catalogue: {missing[:5]}"
    untranslated = sorted(msgid(m) for m in extracted if m.id and not translated(danish[msgid(m)]))
    assert not untranslated, f"untranslated or fuzzy in Danish: {untranslated[:5]}"


def test_plural_strings_have_both_danish_forms(extracted: Catalog):
    danish = {msgid(m): m for m in read_catalogue(DANISH) if m.id}
    wrong = [
        msgid(m)
        for m in extracted
        if m.pluralizable
        and msgid(m) in danish
        and not (danish[msgid(m)].pluralizable and len(danish[msgid(m)].string) == 2)
    ]
    assert not wrong, f"plural strings without two Danish forms: {wrong[:5]}"


def test_the_danish_catalogue_has_nothing_untranslated_or_fuzzy():
    """Every entry counts, including ones the code no longer uses: "100 %" means it."""
    left = [msgid(m) for m in read_catalogue(DANISH) if m.id and not translated(m)]
    assert not left, f"{len(left)} Danish entries are empty or fuzzy, e.g. {left[:5]}"
