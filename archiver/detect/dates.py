"""Read the date line that a Twitter embed leaves under a tweet.

An embed's blockquote ends with ``&mdash; Name (@handle) <a>DATE</a>``, and when an
article is flattened to text the line survives as ``— Name (@handle) October 1, 2020``.
The date is rendered in the language of the embed, so one article may carry
``1 ottobre 2020``, ``1 октября 2020 г.`` or ``2020年10月1日``. That date is the only
time a flattened citation carries, and detection compares it to the time encoded in
the tweet id, so it has to be read in every language Twitter renders embeds in.

Month names come from Babel's CLDR data rather than hand-typed tables: CLDR is
the common source of localized month names, it has the genitive forms
("октября", "października") that dates use, and it is maintained by people who
know the languages. The table is built once, lazily, and only for the languages Twitter
offers embeds in, so importing this module costs nothing and the first call costs
the load of those locales (about 0.3 s, mostly Babel unpickling locale data).

A name that means different months in two languages (e.g. "lis" in Polish and
Croatian) is never resolved by guessing: a ``lang`` hint picks one, otherwise the
date is unreadable. Numeric dates such as ``01/10/2020`` are refused for the same
reason (day or month first?), except ISO ``2020-10-01`` and the dotted
``21.10.2023``, which is day first wherever it is written (de, ru, tr, pl, ...).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

__all__ = ["parse_tweet_date"]

# Locales Twitter offers its web widgets (embeds) in, plus a Levantine
# Arabic locale for the Syriac month names (تشرين الأول) used in the Levant and Iraq.
# Each costs a few milliseconds to load on first use, so keep the list to these.
_LOCALES = (
    "en", "ar", "ar_SY", "bn", "cs", "da", "de", "el", "es", "fa", "fi", "fil", "fr",
    "he", "hi", "hu", "id", "it", "ja", "ko", "ms", "nb", "nl", "pl", "pt", "ro", "ru",
    "sv", "th", "tr", "uk", "ur", "vi", "zh",
)  # fmt: skip

# Old and alias codes a ``lang`` hint may use (Twitter's own "msa", "no", "zh-cn", ...).
_LANG_ALIASES = {"no": "nb", "nn": "nb", "iw": "he", "in": "id", "msa": "ms", "tl": "fil"}

_MIN_YEAR, _MAX_YEAR = 2006, 2100  # Twitter's first tweets are from March 2006.
_BUDDHIST_OFFSET = 543  # Thai dates may count years from 543 BCE (พ.ศ.).
_MAX_LEN = 400  # Longer input is prose, not a date line; also bounds regex work.

# Invisible marks that bidirectional text and copy-paste leave around dates.
_INVISIBLE_RE = re.compile("[\u200b\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff\u0640]")
# Arabic-script vowel signs and the combining hamza that Persian writes for the ezafe
# ("ژانویهٔ"): dropped so a date written without them still matches.
_HARAKAT_RE = re.compile("[\u064b-\u065f\u0670]")
# Letters written in more than one way in Arabic and Persian text.
_ARABIC_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ي": "ی", "ى": "ی", "ك": "ک", "ۀ": "ه"}
)
# Abbreviation marks: "oct.", Hindi "अक्टू॰", Hebrew "אוק׳" (or typed as an apostrophe).
_NAME_EDGE_CHARS = " .,،॰׳'’"

# "— Name (@handle)" in front of the date: everything up to the last handle.
_ATTRIBUTION_RE = re.compile(r"^.*\(\s*@[A-Za-z0-9_]{1,15}\s*\)", re.DOTALL)
_LEADING_JUNK = ' \t\r\n—–-([«"“'
_TRAILING_JUNK = " \t\r\n.,;:!?)]»\"”'’…"
# Between time and date: "7:42 PM · Oct 1, 2020" now, "7:42 PM - 1 Oct 2020" before 2014.
_PART_SPLIT_RE = re.compile(r"\s*[·•|]\s*|\s+[-–—]\s+")
# A clock time with at most a short marker around it: "7:42 PM", "午後7:42", "٧:٤٢ م".
_TIME_RE = re.compile(r"^\D{0,8}\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\D{0,8}$")

_ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DOTTED_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
# Japanese, Chinese and Korean write the month as a number: 2020年10月1日, 2020년 10월 1일.
_CJK_RE = re.compile(r"^(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?$")
# Vietnamese does too: "1 tháng 10, 2020", "ngày 1 tháng 10 năm 2020".
_VI_RE = re.compile(r"^(?:ngày\s*)?(\d{1,2})\s*(?:tháng|thg)\s*(\d{1,2})\s*(?:,|năm)?\s*(\d{4})$")
# Trailing year words: ru/be "г.", uk "р.", and their spelled-out forms.
_YEAR_WORD = r"(?:\s*(?:г|р|года?|року|рік)\.?)?"
_DAY_FIRST_RE = re.compile(r"^(\d{1,2})(\D+?)(\d{4})" + _YEAR_WORD + "$")
_MONTH_FIRST_RE = re.compile(r"^(\D+?)(\d{1,2})(?:st|nd|rd|th)?(?:\s*,\s*|\s+)(\d{4})$")
_YEAR_FIRST_RE = re.compile(r"^(\d{4})(\D+?)(\d{1,2})$")  # hu: "2020. október 1."
# Ordinal marks on the day: fr "1er", en "1st", es/pt "1º" (NFKC turns º into o).
_DAY_SUFFIX_RE = re.compile(r"^(?:er|st|nd|rd|th|\.?o|\.?a)(?=[\s.,]|$)")
# Connectives around the month: es/pt "de octubre de", ca "d'octubre del".
_CONNECTIVE_HEAD_RE = re.compile(r"^(?:(?:de|del)\s+|d['’]\s*)")
_CONNECTIVE_TAIL_RE = re.compile(r"\s+(?:de|del)$")
# Thai era words between month and year: ค.ศ. (Common Era), พ.ศ. (Buddhist Era).
_THAI_CE_RE = re.compile(r"\s*ค\.\s*ศ\.?\s*")
_THAI_BE_RE = re.compile(r"\s*พ\.\s*ศ\.?\s*")


def parse_tweet_date(text: str, lang: str | None = None) -> dt.date | None:
    """Return the date in a tweet's embed date line, or None if it is not one.

    ``text`` is the date as rendered by Twitter in any of its embed languages
    ("October 1, 2020", "1 ottobre 2020", "2020年10月1日", "١ أكتوبر ٢٠٢٠"), possibly
    with a clock time before it ("7:42 PM · Oct 1, 2020"), the "— Name (@handle)"
    attribution in front, stray whitespace or trailing punctuation. ``lang`` is an
    optional BCP-47 hint ("it", "pt-BR") used to settle month names that differ
    between languages. Never raises: anything that is not a plausible date in
    2006..2100 gives None, because callers run this on arbitrary article text.
    """
    try:
        return _parse(text, _lang_key(lang))
    except (ValueError, TypeError, OverflowError):
        return None


def _parse(text: str, lang: str | None) -> dt.date | None:
    if not isinstance(text, str) or len(text) > _MAX_LEN:
        return None
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text))
    text = _ATTRIBUTION_RE.sub("", text)
    text = " ".join(text.split()).casefold()
    parts = [p.strip(_LEADING_JUNK + _TRAILING_JUNK) for p in _PART_SPLIT_RE.split(text)]
    parts = [p for p in parts if p]
    dates = [p for p in parts if not _TIME_RE.match(p)]
    if len(dates) != 1:
        return None
    return _parse_date_part(dates[0], lang)


def _parse_date_part(text: str, lang: str | None) -> dt.date | None:
    """Try each shape a rendered date can take; the first that matches decides."""
    if m := _ISO_RE.match(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DOTTED_RE.match(text):
        return _make_date(int(m[3]), int(m[2]), int(m[1]))
    if m := _CJK_RE.match(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _VI_RE.match(text):
        return _make_date(int(m[3]), int(m[2]), int(m[1]))
    if m := _DAY_FIRST_RE.match(text):
        return _named_date(int(m[3]), m[2], int(m[1]), lang, day_first=True)
    if m := _MONTH_FIRST_RE.match(text):
        return _named_date(int(m[3]), m[1], int(m[2]), lang, day_first=False)
    if m := _YEAR_FIRST_RE.match(text):
        return _named_date(int(m[1]), m[2], int(m[3]), lang, day_first=False)
    return None


def _named_date(
    year: int, middle: str, day: int, lang: str | None, *, day_first: bool
) -> dt.date | None:
    """Build a date whose month is the name found in ``middle``."""
    if day_first:
        middle = _DAY_SUFFIX_RE.sub("", middle.lstrip(), count=1)
    buddhist = bool(_THAI_BE_RE.search(middle))
    middle = _THAI_BE_RE.sub(" ", _THAI_CE_RE.sub(" ", middle))
    month = _month_from_text(middle, lang)
    if month is None:
        return None
    name, langs = month
    # A Thai name with a year past 2100 can only be a Buddhist-era year (2563 = 2020).
    if buddhist or (year > _MAX_YEAR and langs == frozenset({"th"})):
        year -= _BUDDHIST_OFFSET
    return _make_date(year, name, day)


def _month_from_text(middle: str, lang: str | None) -> tuple[int, frozenset[str]] | None:
    """Resolve the month between the numbers; None unless exactly one month fits.

    Arabic articles sometimes give both names ("تشرين الأول/أكتوبر"): each must
    name the same month.
    """
    found: set[int] = set()
    langs: frozenset[str] = frozenset()
    for piece in middle.split("/"):
        name = _normalize_name(piece)
        name = _CONNECTIVE_TAIL_RE.sub("", _CONNECTIVE_HEAD_RE.sub("", name))
        name = name.strip(_NAME_EDGE_CHARS)
        hit = _lookup(name, lang)
        if hit is None:
            return None
        found.add(hit[0])
        langs = hit[1]
    return (found.pop(), langs) if len(found) == 1 else None


def _lookup(name: str, lang: str | None) -> tuple[int, frozenset[str]] | None:
    """Month number and languages for one normalized name, refusing to guess."""
    entry = _month_table().get(name)
    if not entry:
        return None
    if lang is not None:
        hinted = [(month, langs) for month, langs in entry.items() if lang in langs]
        if len(hinted) == 1:
            return hinted[0]
    if len(entry) == 1:
        return next(iter(entry.items()))
    return None


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:  # 30 February, day 0, day 32, ...
        return None


def _normalize_name(name: str) -> str:
    """One spelling per month name, applied alike to CLDR names and to input.

    Case, compatibility forms, abbreviation dots and Arabic-script variants do not
    change which month is meant, so they are folded away.
    """
    name = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", name)).casefold()
    name = _HARAKAT_RE.sub("", name).translate(_ARABIC_FOLD)
    return " ".join(name.split()).strip(_NAME_EDGE_CHARS)


def _lang_key(lang: str | None) -> str | None:
    """Primary language of a BCP-47 tag, as the month table labels it."""
    if not isinstance(lang, str) or not lang.strip():
        return None
    primary = lang.strip().replace("_", "-").split("-")[0].casefold()
    return _LANG_ALIASES.get(primary, primary)


MONTH_TABLE_FILE = Path(__file__).with_name("month_names.json")


@functools.cache
def _month_table() -> Mapping[str, Mapping[int, frozenset[str]]]:
    """Normalized month name -> {month: languages that use it for that month}.

    Read from ``month_names.json``, a snapshot of ``build_month_table()`` shipped
    with the package: building it loads 34 locales of CLDR data through Babel,
    most of a second, on every run of a short command. A test checks that the
    snapshot is what Babel gives now; ``python -m archiver.detect.dates`` rewrites
    it. Without a usable snapshot (other locales), the table is built.
    """
    try:
        data = json.loads(MONTH_TABLE_FILE.read_text(encoding="utf-8"))
        if data["locales"] == list(_LOCALES):
            return {name: {int(month): frozenset(langs) for month, langs in months.items()}
                    for name, months in data["names"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return build_month_table()


def month_table_json(table: Mapping[str, Mapping[int, frozenset[str]]]) -> str:
    """The snapshot's text: one month name a line, so that a change reads as a diff."""
    lines = [f"{json.dumps(name, ensure_ascii=False)}: " + json.dumps(
        {str(month): sorted(langs) for month, langs in sorted(months.items())})
        for name, months in sorted(table.items())]
    return (f'{{"locales": {json.dumps(list(_LOCALES))},\n"names": {{\n'
            + ",\n".join(lines) + "\n}}\n")


def build_month_table() -> Mapping[str, Mapping[int, frozenset[str]]]:
    """The month table from CLDR's wide and abbreviated names in both contexts:
    "format" has the genitives dates use (октября), "stand-alone" the nominatives
    (октябрь) that people type. Names with digits (CJK "10月", fallbacks from the
    root locale) are left to the numeric patterns.
    """
    from babel import Locale  # Deferred: importing Babel and its data takes time.

    table: dict[str, dict[int, set[str]]] = {}
    for code in _LOCALES:
        locale = Locale.parse(code)
        label = _lang_key(code) or code
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for month, raw in locale.months[context][width].items():
                    for name in _name_variants(raw, label):
                        if name and not any(ch.isdigit() for ch in name):
                            table.setdefault(name, {}).setdefault(month, set()).add(label)
    return {
        name: {month: frozenset(langs) for month, langs in months.items()}
        for name, months in table.items()
    }


def _name_variants(raw: str, label: str) -> list[str]:
    """The spellings under which one CLDR month name can appear in a date."""
    name = _normalize_name(raw)
    variants = [name]
    if label == "he":  # Hebrew dates prefix the month with ב ("in"): 1 באוקטובר 2020.
        variants.append("ב" + name)
    return variants


if __name__ == "__main__":  # python -m archiver.detect.dates: rewrite the month table snapshot
    MONTH_TABLE_FILE.write_text(month_table_json(build_month_table()), encoding="utf-8")
