"""The Japanese catalogue is complete and the compiled .mo files match the .po sources."""

from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/ja/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def test_every_app_has_a_japanese_catalogue():
    folders = {p.relative_to(ROOT).parts[0] for p in CATALOGUES}
    assert {"locale", "members", "courses", "lms", "mailings"} <= folders


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete_and_compiled(po_path):
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated in {po_path}: {untranslated}"
    assert not fuzzy, f"fuzzy in {po_path}: {fuzzy}"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run ./dev messages"
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(mo_path)) if e.msgid}
    expected = {e.msgid: e.msgstr for e in po.translated_entries() if not e.obsolete}
    for msgid, msgstr in expected.items():
        key = msgid if not po.find(msgid) or not po.find(msgid).msgctxt else msgid
        assert compiled.get(key) == msgstr, f"{mo_path} is stale for {msgid!r}: run ./dev messages"


def test_japanese_is_the_default_and_english_is_available(client, db):
    response = client.get("/accounts/login/code/")
    assert "サインインコードを送る" in response.content.decode()
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"
    response = client.get("/accounts/login/code/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Send me a sign-in code" in response.content.decode()
