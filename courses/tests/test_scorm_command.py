"""python manage.py import_scorm: exit codes as import_roster (0 done, 1 refused, 2 usage)."""

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courses.models import LessonPage, ScormLessonPage
from tests.factories import scorm as f

pytestmark = pytest.mark.django_db

VENDOR = Path(__file__).resolve().parents[1] / "static" / "courses" / "vendor" / "scorm-again"


def run(*args, language="ja"):
    out, err = io.StringIO(), io.StringIO()
    import os

    previous = os.environ.get("LANGUAGE")
    os.environ["LANGUAGE"] = language
    try:
        call_command("import_scorm", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
        err.write(str(exc))
    finally:
        if previous is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = previous
    return code, out.getvalue(), err.getvalue()


def test_import_creates_a_published_lesson(tmp_path, course):
    path = tmp_path / "ladder.zip"
    path.write_bytes(f.multi_sco_package())
    code, out, _err = run(str(path), "--course", course.slug, "--title", "はしごの安全")
    assert code == 0
    lesson = ScormLessonPage.objects.get()
    assert (lesson.title, lesson.live, lesson.get_parent().pk) == ("はしごの安全", True, course.pk)
    assert "レッスン「はしごの安全」を作成しました" in out
    assert "sco1/index.html" in out and "（合格点 80）" in out


def test_dry_run_checks_and_changes_nothing(tmp_path, course):
    path = tmp_path / "ladder.zip"
    path.write_bytes(f.single_sco_package())
    code, out, _err = run(str(path), "--course", course.slug, "--dry-run", "--format", "json")
    assert code == 0 and not ScormLessonPage.objects.exists()
    report = json.loads(out)
    assert report["accepted"] and report["dry_run"] and report["lesson"] is None
    assert report["package"]["items"][0]["launch"] == "index.html"


@pytest.mark.parametrize(
    "language, text",
    [("ja", "SCORM 2004 にはまだ対応していません"), ("en", "SCORM 2004 is not supported yet")],
)
def test_a_refused_package_exits_1_and_changes_nothing(tmp_path, course, lessons, language, text):
    path = tmp_path / "new.zip"
    path.write_bytes(
        f.single_sco_package(manifest=f.single_sco_manifest(schemaversion="2004 4th Edition"))
    )
    code, _out, err = run(str(path), "--course", course.slug, language=language)
    assert code == 1 and text in err and err.startswith(("エラー new.zip", "ERROR new.zip"))
    assert list(LessonPage.objects.child_of(course)) == lessons


def test_usage_errors_exit_2(tmp_path, course):
    assert run(str(tmp_path / "missing.zip"), "--course", course.slug)[0] == 2
    path = tmp_path / "ok.zip"
    path.write_bytes(f.single_sco_package())
    assert run(str(path), "--course", "no-such-course")[0] == 2


def test_the_vendored_api_is_the_published_build():
    sums = dict(
        reversed(line.split("  ", 1)) for line in (VENDOR / "SHA256SUMS").read_text().splitlines()
    )
    for name, digest in sums.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest
    assert (VENDOR / "LICENSE").read_text().startswith("MIT License")
