"""Bytes of unknown charset become the text the author wrote (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.detect.decoding import decode
from tests.cli_helpers import run

TEXTS = [
    ("Très bien, à Genève le café était très cher. Où est la gare?", "latin-1"),
    ("Größere Straßen in München wurden gesperrt, sagte die Behörde.", "latin-1"),
    ("El niño comió piñas en Logroño, según el señor.", "latin-1"),
    ("“Smart quotes” – and a euro € sign, naïve café", "cp1252"),
    ("Příliš žluťoučký kůň úpěl ďábelské ódy. Vláda schválila zákon.", "cp1250"),
    ("Zażółć gęślą jaźń. Rząd przyjął ustawę o ochronie środowiska.", "cp1250"),
    ("東京で大雨が降りました。電車が止まっています。", "shift_jis"),
    ("Hello, this is UTF-16 without a byte-order mark. Ça va? Müller.", "utf-16-le"),
    ("Hello, this is UTF-16 without a byte-order mark. Ça va? Müller.", "utf-16-be"),
]


@pytest.mark.parametrize(("text", "encoding"), TEXTS)
def test_undeclared_charsets_decode_to_the_written_text(text, encoding):
    assert decode(text.encode(encoding))[0] == text


def test_a_declared_charset_wins_over_guessing():
    data = "Genève".encode("latin-1")
    assert decode(data, "text/html; charset=iso-8859-1")[0] == "Genève"
    assert decode(b'<meta charset="windows-1250">' + "Żółw".encode("cp1250"))[0].endswith("Żółw")


@given(st.binary(max_size=2000))
@settings(max_examples=200, deadline=None)
def test_decode_never_raises_and_keeps_utf8(data):
    text, _encoding = decode(data)
    assert isinstance(text, str)
    try:
        assert text == data.decode("utf-8")
    except UnicodeDecodeError:
        pass


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16-le"])
def test_archived_article_in_a_legacy_charset_is_stored_as_written(tmp_path: Path, home, db_url,
                                                                  encoding):
    page = tmp_path / "genf.txt"
    page.write_bytes(("Très bien à Genève\n\nLe café était très cher, dit-il.\n").encode(encoding))
    result = run(home, db_url, "archive", "--offline", str(page), "--format", "json")
    assert result.exit_code == 0, result.output
    [stored] = json.loads(result.stdout)
    assert stored["title"] == "Très bien à Genève"
