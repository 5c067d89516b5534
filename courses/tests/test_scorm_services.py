"""Importing packages into lessons, launching SCOs and storing their commits: all or nothing,
per attempt, resumable, and completing lessons only as the evidence rules allow."""

import datetime
import io
import zipfile

import pytest
import time_machine
from django.core.files.storage import storages
from django.utils import timezone

from courses.models import Enrolment, LessonPage, LessonProgress, ScormFile, ScormState
from courses.scorm import cmi, services
from courses.scorm import problems as p
from courses.services import enrolment_start, lesson_heartbeat
from tests.factories import scorm as f

pytestmark = pytest.mark.django_db


def import_package(course, data, **kwargs):
    checked = services.scorm_package_check(fileobj=io.BytesIO(data), file_name="pkg.zip")
    return services.scorm_lesson_create(course=course, checked=checked, **kwargs)


def stored_names():
    storage = storages["scorm"]
    names = []

    def walk(folder):
        if not storage.exists(folder or "."):
            return
        dirs, files = storage.listdir(folder or ".")
        names.extend(f"{folder}{name}" for name in files)
        for sub in dirs:
            walk(f"{folder}{sub}/")

    walk("")
    return sorted(names)


def item(lesson, identifier):
    return lesson.package.items.get(identifier=identifier)


def commit(enrolment, lesson, identifier, session, **core):
    core.setdefault("lesson_status", "incomplete")
    return services.scorm_commit(
        enrolment_id=enrolment.pk,
        lesson=lesson,
        item=item(lesson, identifier),
        session_key=session,
        payload={"cmi": {"core": core, "suspend_data": core.pop("suspend_data", "")}},
    )


# --- importing ---------------------------------------------------------------------------------


def test_import_creates_a_live_lesson_with_its_files_under_the_lessons_id(course, lessons):
    lesson = import_package(course, f.multi_sco_package(), title="はしごの安全")
    lesson.refresh_from_db()
    assert lesson.live and lesson.title == "はしごの安全"
    assert list(
        LessonPage.objects.child_of(course).order_by("path").values_list("pk", flat=True)
    ) == [
        *(existing.pk for existing in lessons),
        lesson.pk,
    ]
    package = lesson.package
    assert package.storage_prefix.startswith(f"scorm/{lesson.pk}/1-")
    assert (package.file_count, package.scorm_version, package.original_filename) == (
        5,
        "1.2",
        "pkg.zip",
    )
    files = dict(ScormFile.objects.filter(package=package).values_list("path", "content_type"))
    assert files == {
        "imsmanifest.xml": "application/xml",
        "sco1/index.html": "text/html",
        "sco2/index.html": "text/html",
        "test/index.html": "text/html",
        "shared/apiwrapper.js": "text/javascript",
    }
    assert stored_names() == sorted(package.storage_prefix + name for name in files)
    assert storages["scorm"].open(package.storage_prefix + "sco1/index.html").read() == f.sco_page(
        "脚立の使い方", "../"
    )


def test_the_package_title_is_the_default_lesson_title_and_slugs_do_not_clash(course):
    first = import_package(course, f.single_sco_package())
    second = import_package(course, f.single_sco_package())
    assert first.title == second.title == "転倒災害の防止"
    assert (first.slug, second.slug) == ("pkg", "pkg-2")  # ASCII: from the file name


def _corrupt_last_entry(data: bytes) -> bytes:
    """A zip whose last file's data is damaged (its CRC no longer matches)."""
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[-1]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(data)
    damaged[start + 2] ^= 0xFF
    return bytes(damaged)


def test_an_import_that_fails_half_way_changes_nothing(course, lessons):
    data = _corrupt_last_entry(f.multi_sco_package())
    checked = services.scorm_package_check(fileobj=io.BytesIO(data), file_name="pkg.zip")
    with pytest.raises(p.PackageRefused) as caught:
        services.scorm_lesson_create(course=course, checked=checked)
    assert caught.value.problems[0].code == "corrupt_file"
    assert list(LessonPage.objects.child_of(course)) == lessons
    assert not ScormFile.objects.exists()
    assert stored_names() == []  # the files stored before the failure are deleted again


def test_deleting_a_scorm_lesson_deletes_its_files(course, django_capture_on_commit_callbacks):
    lesson = import_package(course, f.single_sco_package())
    assert stored_names()
    with django_capture_on_commit_callbacks(execute=True):
        lesson.delete()
    assert stored_names() == []


# --- launching and committing ------------------------------------------------------------------


@pytest.fixture
def scorm_lesson(course):
    return import_package(course, f.multi_sco_package())


@pytest.fixture
def enrolment(member, course):
    return enrolment_start(member=member, course=course)


def test_first_launch_then_resume_after_suspend(enrolment, scorm_lesson):
    first = services.scorm_launch(
        enrolment=enrolment, lesson=scorm_lesson, item=item(scorm_lesson, "SCO1")
    )
    assert first.entry == "ab-initio"
    commit(
        enrolment, scorm_lesson, "SCO1", first.state.session_key,
        lesson_location="page-3", exit="suspend", session_time="00:00:30", suspend_data="abc",
    )  # fmt: skip
    again = services.scorm_launch(
        enrolment=enrolment, lesson=scorm_lesson, item=item(scorm_lesson, "SCO1")
    )
    assert again.entry == "resume"
    data = cmi.initial_data(
        state=again.state,
        item=item(scorm_lesson, "SCO1"),
        member=enrolment.member,
        entry=again.entry,
    )
    assert (data["core"]["lesson_location"], data["suspend_data"], data["core"]["total_time"]) == (
        "page-3",
        "abc",
        "0000:00:30",
    )
    commit(
        enrolment, scorm_lesson, "SCO1", again.state.session_key, exit="", session_time="00:00:10"
    )
    third = services.scorm_launch(
        enrolment=enrolment, lesson=scorm_lesson, item=item(scorm_lesson, "SCO1")
    )
    assert (
        third.entry == "" and third.state.reported_seconds == 40 and third.state.launch_count == 3
    )


def test_a_commit_of_a_replaced_session_is_refused(enrolment, scorm_lesson):
    old = services.scorm_launch(
        enrolment=enrolment, lesson=scorm_lesson, item=item(scorm_lesson, "SCO1")
    )
    old_key = old.state.session_key
    services.scorm_launch(enrolment=enrolment, lesson=scorm_lesson, item=item(scorm_lesson, "SCO1"))
    with pytest.raises(services.StaleSession):
        commit(enrolment, scorm_lesson, "SCO1", old_key, lesson_location="old")
    assert ScormState.objects.get().lesson_location == ""


def test_a_refused_commit_stores_nothing(enrolment, scorm_lesson):
    launched = services.scorm_launch(
        enrolment=enrolment, lesson=scorm_lesson, item=item(scorm_lesson, "SCO1")
    )
    commit(enrolment, scorm_lesson, "SCO1", launched.state.session_key, lesson_location="p1")
    with pytest.raises(cmi.CommitRejected):
        commit(
            enrolment,
            scorm_lesson,
            "SCO1",
            launched.state.session_key,
            lesson_location="p2",
            lesson_status="done",
        )
    state = ScormState.objects.get()
    assert (state.lesson_location, state.commit_count) == ("p1", 1)


def test_a_multi_sco_lesson_completes_when_all_its_scos_do(enrolment, scorm_lesson, course):
    progress_of = lambda: LessonProgress.objects.get(enrolment=enrolment, lesson=scorm_lesson)  # noqa: E731
    for identifier in ("SCO1", "SCO2"):
        launched = services.scorm_launch(
            enrolment=enrolment, lesson=scorm_lesson, item=item(scorm_lesson, identifier)
        )
        result = commit(
            enrolment,
            scorm_lesson,
            identifier,
            launched.state.session_key,
            lesson_status="completed",
        )
        assert result.sco_complete and not result.lesson_complete
    launched = services.scorm_launch(
        enrolment=enrolment, lesson=scorm_lesson, item=item(scorm_lesson, "SCO3")
    )
    result = commit(
        enrolment, scorm_lesson, "SCO3", launched.state.session_key,
        lesson_status="failed", score={"raw": "60", "min": "0", "max": "100"},
    )  # fmt: skip
    assert not result.sco_complete and progress_of().completed_at is None
    result = commit(
        enrolment,
        scorm_lesson,
        "SCO3",
        launched.state.session_key,
        lesson_status="incomplete",
        score={"raw": "80", "min": "0", "max": "100"},
    )  # fmt: skip  (the manifest's mastery score is 80)
    assert result.sco_complete and result.lesson_complete
    progress = progress_of()
    assert progress.completion_path == LessonProgress.Path.SCORM
    assert progress.completed_revision_id == scorm_lesson.live_revision_id
    state = ScormState.objects.get(item_identifier="SCO3")
    assert (state.score_raw, state.score_max) == (80, 100)


def test_completing_the_scorm_lesson_completes_the_course_once_its_time_is_studied(member, index):
    from tests.factories.courses import make_course_page

    course = make_course_page(index=index, slug="scorm-only", estimated_minutes=1)  # 48 s needed
    lesson = import_package(course, f.single_sco_package())
    enrolment = enrolment_start(member=member, course=course)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        launched = services.scorm_launch(
            enrolment=enrolment, lesson=lesson, item=item(lesson, "ITEM1")
        )
        clock.shift(datetime.timedelta(seconds=30))
        lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=30)
        commit(enrolment, lesson, "ITEM1", launched.state.session_key, lesson_status="completed")
        enrolment.refresh_from_db()
        assert enrolment.completed_at is None  # the lesson is done, the course's time is not
        assert LessonProgress.objects.get(enrolment=enrolment, lesson=lesson).completed_at
        clock.shift(datetime.timedelta(seconds=30))
        lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=30)
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None and hasattr(enrolment, "certificate")


def test_an_asset_is_complete_once_launched(enrolment, course):
    manifest = f.manifest_xml(
        items=f.item_xml("DOC", "資料", ref="RES1"),
        resources=f.resource_xml("RES1", "index.html", scorm_type="asset"),
    )
    lesson = import_package(course, f.single_sco_package(manifest=manifest))
    services.scorm_launch(enrolment=enrolment, lesson=lesson, item=item(lesson, "DOC"))
    assert LessonProgress.objects.get(enrolment=enrolment, lesson=lesson).completed_at is not None


def test_runtime_data_belongs_to_the_attempt(member, course, scorm_lesson, enrolment):
    launched = services.scorm_launch(
        enrolment=enrolment, lesson=scorm_lesson, item=item(scorm_lesson, "SCO1")
    )
    commit(
        enrolment,
        scorm_lesson,
        "SCO1",
        launched.state.session_key,
        lesson_status="completed",
        exit="suspend",
    )
    next_year = Enrolment.objects.create(member=member, course=course, attempt=2)
    fresh = services.scorm_launch(
        enrolment=next_year, lesson=scorm_lesson, item=item(scorm_lesson, "SCO1")
    )
    assert fresh.entry == "ab-initio" and fresh.state.lesson_status == "not attempted"
    assert ScormState.objects.filter(item_identifier="SCO1").count() == 2


def test_time_is_credited_by_the_study_clock_not_by_what_the_content_reports(
    enrolment, scorm_lesson
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        launched = services.scorm_launch(
            enrolment=enrolment, lesson=scorm_lesson, item=item(scorm_lesson, "SCO1")
        )
        clock.shift(datetime.timedelta(seconds=30))
        commit(
            enrolment, scorm_lesson, "SCO1", launched.state.session_key, session_time="0010:00:00"
        )
        lesson_heartbeat(enrolment=enrolment, lesson=scorm_lesson, seconds=600)
    state = ScormState.objects.get()
    assert state.reported_seconds == 90  # what the content said, bounded by launch time + 60 s
    progress = LessonProgress.objects.get(enrolment=enrolment, lesson=scorm_lesson)
    assert progress.active_seconds == 30  # the heartbeat's 600 s are bounded by the clock


def test_a_minimum_study_time_holds_for_scorm_lessons_too(member, index):
    from tests.factories.courses import make_course_page

    course = make_course_page(index=index, slug="timed")
    lesson = import_package(course, f.single_sco_package())
    LessonPage.objects.filter(pk=lesson.pk).update(min_study_seconds=60)
    lesson.refresh_from_db()
    enrolment = enrolment_start(member=member, course=course)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        launched = services.scorm_launch(
            enrolment=enrolment, lesson=lesson, item=item(lesson, "ITEM1")
        )
        clock.shift(datetime.timedelta(seconds=30))
        lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=30)
        result = commit(
            enrolment, lesson, "ITEM1", launched.state.session_key, lesson_status="completed"
        )
        assert result.sco_complete and not result.lesson_complete
        clock.shift(datetime.timedelta(seconds=30))
        progress = lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=30)
    assert progress.completed_at is not None and progress.completion_path == "scorm"


def test_whether_a_scorm_lesson_is_done_costs_one_query(
    enrolment, scorm_lesson, django_assert_num_queries
):
    from courses.scorm.selectors import scorm_lesson_done

    for identifier in ("SCO1", "SCO2", "SCO3"):
        with django_assert_num_queries(1):
            assert not scorm_lesson_done(enrolment_id=enrolment.pk, lesson_id=scorm_lesson.pk)
        launched = services.scorm_launch(
            enrolment=enrolment, lesson=scorm_lesson, item=item(scorm_lesson, identifier)
        )
        commit(
            enrolment, scorm_lesson, identifier, launched.state.session_key, lesson_status="passed"
        )
    with django_assert_num_queries(1):
        assert scorm_lesson_done(enrolment_id=enrolment.pk, lesson_id=scorm_lesson.pk)
