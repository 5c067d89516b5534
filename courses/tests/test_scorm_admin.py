"""The admin side of SCORM: reaching the upload from the course, uploading with a check before
anything is created, importing, and staff reading members' SCORM attempts."""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import LessonPage, ScormImport, ScormLessonPage
from courses.scorm import services
from tests.factories import scorm as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, home):
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username="editor", password="pw-editor-123")
    user.groups.add(Group.objects.get(name="Editors"))  # Wagtail's group: may add pages anywhere
    client.force_login(user)
    return client


def upload(client, course, data, name="course.zip", title="", xhr=True):
    extra = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"} if xhr else {}
    return client.post(
        reverse("courses_admin:scorm_upload"),
        {
            "course": course.pk,
            "title": title,
            "package": SimpleUploadedFile(name, data, "application/zip"),
        },
        **extra,
    )


def test_the_upload_is_reached_from_the_course_in_the_page_explorer(editor_client, course):
    upload_url = reverse("courses_admin:scorm_upload") + f"?course={course.pk}"
    course_listing = editor_client.get(reverse("wagtailadmin_explore", args=[course.pk]))
    assert upload_url in course_listing.content.decode()
    courses_listing = editor_client.get(
        reverse("wagtailadmin_explore", args=[course.get_parent().pk])
    )
    assert upload_url in courses_listing.content.decode()
    # "Add child page" offers SCORM lessons, and choosing one leads to the upload
    chooser = editor_client.get(reverse("wagtailadmin_pages:add_subpage", args=[course.pk]))
    add_scorm = reverse("wagtailadmin_pages:add", args=["courses", "scormlessonpage", course.pk])
    assert add_scorm in chooser.content.decode()
    response = editor_client.get(add_scorm)
    assert response.status_code == 302 and response["Location"] == upload_url
    form = editor_client.get(upload_url)
    assert form.status_code == 200
    assert f'<option value="{course.pk}" selected>' in form.content.decode()


@pytest.fixture
def moderator_client(client, home):
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username="moderator", password="pw-mod-123")
    user.groups.add(Group.objects.get(name="Moderators"))  # Wagtail's group: may also publish
    client.force_login(user)
    return client


def test_an_upload_is_checked_then_imported(
    moderator_client, course, django_capture_on_commit_callbacks
):
    editor_client = moderator_client
    response = upload(editor_client, course, f.multi_sco_package(), title="はしごの安全")
    import_ = ScormImport.objects.get()
    assert response.json() == {"redirect": reverse("courses_admin:scorm_import", args=[import_.pk])}
    assert import_.status == "checked" and not ScormLessonPage.objects.exists()
    page = editor_client.get(response.json()["redirect"]).content.decode()
    for text in ("脚立の使い方", "sco1/index.html", "80 点", "SCORM 1.2", "レッスンを作成する"):
        assert text in page
    assert (
        "SCORM 1.2 の規定どおり、4,096 文字を超える中断データ" in page
    )  # warnings, both languages
    assert "Bookmarks (suspend_data) longer than 4,096 characters" in page
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(response.json()["redirect"])
    import_.refresh_from_db()
    lesson = ScormLessonPage.objects.get()
    assert (import_.status, import_.lesson, lesson.title, lesson.live) == (
        "done",
        lesson,
        "はしごの安全",
        True,
    )
    assert not import_.file  # the uploaded zip is not kept once its files are stored
    status = editor_client.get(
        reverse("courses_admin:scorm_import_status", args=[import_.pk])
    ).json()
    assert status == {
        "status": "done",
        "label": "取り込み済み",
        "done": 5,
        "total": 5,
        "lesson_edit_url": reverse("wagtailadmin_pages:edit", args=[lesson.pk]),
    }
    done_page = editor_client.get(response.json()["redirect"]).content.decode()
    assert "レッスン「はしごの安全」を作成し、公開しました。" in done_page
    # confirming twice (a double click, a reload) imports once
    editor_client.post(response.json()["redirect"])
    assert ScormLessonPage.objects.count() == 1


def test_an_editor_who_may_not_publish_gets_a_draft(
    editor_client, course, django_capture_on_commit_callbacks
):
    from tests.factories import make_organisation

    # an editor of an organisation whose pages are approved before they are published
    organisation = make_organisation(name="承認制の団体")
    organisation.publishing_approval = True
    organisation.save()
    organisation.editors.add(get_user_model().objects.get(username="editor"))
    response = upload(editor_client, course, f.single_sco_package())
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(response.json()["redirect"])
    lesson = ScormLessonPage.objects.get()
    assert not lesson.live and lesson.has_unpublished_changes
    page = editor_client.get(response.json()["redirect"]).content.decode()
    assert "下書きとして保存しました" in page


def test_a_refused_upload_says_why_in_both_languages_and_changes_nothing(
    editor_client, course, lessons
):
    data = f.build_zip(
        {"course/imsmanifest.xml": f.single_sco_manifest(), "course/index.html": "x"}
    )
    response = upload(editor_client, course, data, xhr=False)
    import_ = ScormImport.objects.get()
    assert response.status_code == 302 and import_.status == "refused" and not import_.file
    page = editor_client.get(response["Location"]).content.decode()
    assert (
        "imsmanifest.xml がパッケージの最上位にありません（course/imsmanifest.xml にあります）"
        in page
    )
    assert "imsmanifest.xml is not at the top level of the package" in page
    assert "レッスンを作成する" not in page
    assert list(LessonPage.objects.child_of(course)) == lessons


def test_only_zip_files_and_only_courses_the_user_may_add_to(editor_client, client, course):
    response = upload(editor_client, course, b"not a zip", name="course.pdf")
    assert response.status_code == 400 and response.json()["errors"]
    staff = get_user_model().objects.create_user(username="office", password="pw-office-123")
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(staff)
    assert client.get(reverse("courses_admin:scorm_upload")).status_code == 302  # denied
    assert not ScormImport.objects.exists()


def test_a_scorm_lesson_edit_form_shows_its_package(editor_client, course):
    lesson = services.scorm_lesson_create(
        course=course,
        checked=services.scorm_package_check(
            fileobj=io.BytesIO(f.multi_sco_package()), file_name="pkg.zip"
        ),
    )
    page = editor_client.get(reverse("wagtailadmin_pages:edit", args=[lesson.pk])).content.decode()
    for text in ("SCORM パッケージ", "pkg.zip", "確認テスト", "合格点 80"):
        assert text in page


# --- members' SCORM attempts, for staff --------------------------------------------------------


@pytest.fixture
def played(member, course):
    from courses.services import enrolment_start

    lesson = services.scorm_lesson_create(
        course=course,
        checked=services.scorm_package_check(
            fileobj=io.BytesIO(f.single_sco_package()), file_name="pkg.zip"
        ),
    )
    enrolment = enrolment_start(member=member, course=course)
    item = lesson.package.items.get()
    launched = services.scorm_launch(enrolment=enrolment, lesson=lesson, item=item)
    services.scorm_commit(
        enrolment_id=enrolment.pk,
        lesson=lesson,
        item=item,
        session_key=launched.state.session_key,
        payload={
            "cmi": {
                "core": {
                    "lesson_status": "passed",
                    "session_time": "00:00:00",
                    "score": {"raw": "85", "min": "0", "max": "100"},
                },
                "interactions": {
                    "0": {
                        "id": "q1",
                        "type": "choice",
                        "student_response": "b",
                        "result": "correct",
                    }
                },
            }
        },
    )
    return launched.state


def test_staff_see_each_scorm_attempt(client, organisation, other_organisation, played):
    from tests.factories.quality import make_office_staff

    client.force_login(make_office_staff(username="office-a", organisations=[organisation]))
    listing = client.get(reverse("scormstate:index")).content.decode()
    for text in ("000001 山田\u3000太郎", "転倒を防ぐ", "合格", "85 点 / 100", "1 回目（"):
        assert text in listing
    export = client.get(reverse("scormstate:index") + "?export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:6] == ["加入者番号", "氏名", "研修", "レッスン", "SCO", "SCO の識別子"]
    assert rows[1][0] == "000001" and rows[1][7:9] == ["passed", "85.0000"]
    inspect = client.get(reverse("scormstate:inspect", args=[played.pk])).content.decode()
    assert "q1" in inspect and "correct" in inspect

    client.force_login(make_office_staff(username="office-b", organisations=[other_organisation]))
    assert "000001" not in client.get(reverse("scormstate:index")).content.decode()
    assert client.get(reverse("scormstate:inspect", args=[played.pk])).status_code == 404


def test_the_import_status_is_json_for_the_progress_bar(editor_client, course):
    upload(editor_client, course, f.single_sco_package())
    import_ = ScormImport.objects.get()
    data = editor_client.get(reverse("courses_admin:scorm_import_status", args=[import_.pk])).json()
    assert data["status"] == "checked" and data["total"] == 3 and json.dumps(data)
