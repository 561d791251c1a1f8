"""The zh_CN catalogue is complete and current: every message of the source is in it, translated,
not fuzzy, with the same placeholders, nothing in it the source no longer has, and the compiled
.mo the app loads says what the .po says."""

from __future__ import annotations

import re

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.support.paths import ROOT

TRANSLATIONS = ROOT / "edc" / "translations"
PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# _l: lazy_gettext; N_: a message stored as written and translated where shown (audit reasons).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|\{\w*\}")


def source_ids() -> set[str | tuple[str, ...]]:
    """Every message the app's code and templates ask to translate (as babel.cfg extracts)."""
    with (TRANSLATIONS / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {message for _file, _line, message, _comments, _context in
            extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)}


def catalogue() -> Catalog:
    with PO.open("rb") as po:
        return read_po(po)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def problems(catalog: Catalog) -> list[str]:
    """What keeps the catalogue from being used as it is: untranslated, fuzzy or with other
    placeholders than the message."""
    found = []
    for message in catalog:
        if not message.id:
            continue  # the header
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        name = ids[0][:60]
        if message.fuzzy:
            found.append(f"fuzzy: {name}")
        if not all(strings):
            found.append(f"untranslated: {name}")
        elif any(placeholders(s) != placeholders(ids[-1]) for s in strings):
            found.append(f"placeholders: {name}")
    return found


def test_every_message_is_translated_without_fuzzy_entries_and_with_its_placeholders() -> None:
    assert problems(catalogue()) == []


def test_the_catalogue_holds_exactly_the_messages_of_the_source() -> None:
    in_catalogue = {message.id for message in catalogue() if message.id}
    in_source = {m if isinstance(m, str) else tuple(m) for m in source_ids()}
    missing = sorted(str(m)[:70] for m in in_source - in_catalogue)
    gone = sorted(str(m)[:70] for m in in_catalogue - in_source)
    assert (missing, gone) == ([], []), (
        "Update the catalogue: pybabel extract and update (README, 'Translations').")
    assert not catalogue().obsolete


def test_the_compiled_catalogue_says_what_the_po_says() -> None:
    def texts(catalog: Catalog) -> dict:
        def key(text: str | tuple | list) -> str | tuple:
            return text if isinstance(text, str) else tuple(text)
        return {key(m.id): key(m.string) for m in catalog if m.id}

    with MO.open("rb") as mo:
        compiled = texts(read_mo(mo))
    assert compiled == texts(catalogue()), (
        "Compile the catalogue: pybabel compile -d edc/translations")


def test_the_check_finds_untranslated_fuzzy_and_wrong_placeholders() -> None:
    catalog = Catalog(locale="zh_CN")
    catalog.add("Saved", "已保存")
    catalog.add("Visit %(code)s", "")
    catalog.add("Enrol", "入组", flags=["fuzzy"])
    catalog.add("Got %(typed)s in %(unit)s.", "输入的是 %(typed)s。")
    catalog.add(("%(num)s day", "%(num)s days"), ("%(num)s 天",))
    assert problems(catalog) == ["untranslated: Visit %(code)s", "fuzzy: Enrol",
                                 "placeholders: Got %(typed)s in %(unit)s."]
