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
    assert {"training_site", "members", "courses", "lms", "mailings"} <= folders


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete_and_compiled(po_path):
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated in {po_path}: {untranslated}"
    assert not fuzzy, f"fuzzy in {po_path}: {fuzzy}"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run ./dev messages"
    # keyed by context and msgid: pgettext's "Failed" is another message than gettext's
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(mo_path)) if e.msgid}
    expected = {(e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries() if not e.obsolete}
    for key, msgstr in expected.items():
        assert compiled.get(key) == msgstr, f"{mo_path} is stale for {key!r}: run ./dev messages"


def test_japanese_is_the_default_and_english_is_available(client, db):
    response = client.get("/accounts/login/code/")
    assert "サインインコードを送る" in response.content.decode()
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"
    response = client.get("/accounts/login/code/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Send me a sign-in code" in response.content.decode()


def test_no_message_is_translated_two_ways_by_two_apps():
    """Django merges the apps' catalogues into one: a msgid the apps translate differently
    shows the first app's words everywhere (the course list's 「続きから学習する」 once read
    「続ける」 from the sign-in pages). Such a message needs its own context (pgettext)."""
    seen: dict[tuple, tuple[str, str]] = {}
    clashes = []
    for po_path in CATALOGUES:
        app = po_path.relative_to(ROOT).parts[0]
        for entry in polib.pofile(str(po_path)).translated_entries():
            key = (entry.msgctxt, entry.msgid, entry.msgid_plural)
            if key in seen and seen[key][1] != entry.msgstr:
                clashes.append(
                    f"{key[:2]!r}: {seen[key][0]} {seen[key][1]!r}, {app} {entry.msgstr!r}"
                )
            seen.setdefault(key, (app, entry.msgstr))
    assert not clashes, "\n".join(clashes)
