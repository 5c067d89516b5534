"""The SCORM player on the site and the content origin's views: who may play what, from
where, with which headers; and what a commit stores."""

import datetime
import io
import json
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from courses.models import LessonProgress, ScormState
from courses.scorm import services
from courses.tests.conftest import login_member
from tests.factories import scorm as f

pytestmark = pytest.mark.django_db

CONTENT_HOST = "scorm.testserver"


@pytest.fixture
def scorm_lesson(course):
    checked = services.scorm_package_check(
        fileobj=io.BytesIO(f.multi_sco_package()), file_name="ladder.zip"
    )
    return services.scorm_lesson_create(course=course, checked=checked)


def launch_urls(response) -> list[str]:
    """The SCOs' launch addresses on the lesson page, as paths of the content origin."""
    html = response.content.decode()
    found = re.findall(rf'(?:href|src)="(http://{CONTENT_HOST}/[^"]+)"', html)
    return [url.replace(f"http://{CONTENT_HOST}", "") for url in dict.fromkeys(found)]


def content_client() -> Client:
    """A browser on the content origin: it has no cookie of the site."""
    return Client(HTTP_HOST=CONTENT_HOST)


def launcher_config(response) -> dict:
    match = re.search(
        r'<script id="scorm-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1))


def play(member_client, lesson, index=0):
    page = member_client.get(lesson.url)
    launcher = content_client().get(launch_urls(page)[index])
    return page, launcher, launcher_config(launcher)


def test_the_lesson_page_frames_the_content_origin_in_a_sandbox(member_client, scorm_lesson):
    response = member_client.get(scorm_lesson.url)
    assert response.status_code == 200
    html = response.content.decode()
    frame = re.search(r'<iframe id="scorm-frame"[^>]*>', html).group(0)
    assert f'src="http://{CONTENT_HOST}/learn/scorm/' in frame
    assert (
        'sandbox="allow-scripts allow-same-origin allow-forms allow-popups '
        'allow-popups-to-escape-sandbox allow-modals allow-downloads"'
    ) in frame
    assert "allow-top-navigation" not in frame
    assert response._csp_update == {
        "frame-src": [f"http://{CONTENT_HOST}"],
        "child-src": [f"http://{CONTENT_HOST}"],
    }
    assert len(launch_urls(response)) == 3  # three SCOs; the heading is not a link
    assert "このレッスンの構成" in html and "脚立の使い方" in html


def test_the_lesson_pages_policy_lets_only_the_content_origin_into_its_frame(
    member_client, scorm_lesson
):
    policy = member_client.get(scorm_lesson.url)["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert f"http://{CONTENT_HOST}" in directives["frame-src"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'self'"]


def test_content_views_answer_only_on_the_content_origin(member_client, scorm_lesson):
    _page, launcher, config = play(member_client, scorm_lesson)
    assert launcher.status_code == 200
    for url in (launch_urls(_page)[0], config["launchUrl"]):
        assert member_client.get(url).status_code == 404  # the site's own host, with its cookies
    assert (
        member_client.post(config["commitUrl"], "{}", content_type="application/json").status_code
        == 404
    )


def test_the_launcher_gives_the_sco_its_member_and_records_the_launch(
    member_client, member, scorm_lesson
):
    _page, launcher, config = play(member_client, scorm_lesson)
    assert launcher["Content-Security-Policy"].endswith("frame-ancestors http://testserver")
    assert "X-Frame-Options" not in launcher
    assert launcher["Referrer-Policy"] == "same-origin"
    assert launcher["Cache-Control"] == "no-store"
    assert config["cmi"]["core"]["student_id"] == "000001"
    assert config["cmi"]["core"]["student_name"] == "山田, 太郎"
    assert config["cmi"]["core"]["entry"] == "ab-initio"
    assert config["siteOrigin"] == "http://testserver"
    assert config["launchUrl"].endswith("/files/sco1/index.html")
    state = ScormState.objects.get()
    assert (state.item_identifier, state.launch_count, state.progress.enrolment.member) == (
        "SCO1",
        1,
        member,
    )


def test_package_files_are_served_with_types_and_headers(member_client, scorm_lesson):
    _page, _launcher, config = play(member_client, scorm_lesson)
    files = config["launchUrl"].rsplit("/files/", 1)[0] + "/files/"
    client = content_client()
    html = client.get(files + "sco1/index.html")
    assert html.status_code == 200 and html["Content-Type"] == "text/html"
    assert b"".join(html.streaming_content) == f.sco_page("脚立の使い方", "../")
    assert html["Content-Security-Policy"] == "frame-ancestors 'self' http://testserver"
    assert "X-Frame-Options" not in html
    script = client.get(files + "shared/apiwrapper.js")
    assert (
        script["Content-Type"] == "text/javascript"
        and script["X-Content-Type-Options"] == "nosniff"
    )
    assert client.get(files + "Shared/APIWrapper.js").status_code == 200  # Windows-made links
    assert client.get(files + "missing.html").status_code == 404
    assert client.get(files + "../../../etc/passwd").status_code == 404


def test_range_requests_for_media(member_client, course):
    video = bytes(range(256)) * 40
    data = f.single_sco_package(extra_files={"media/clip.mp4": video})
    lesson = services.scorm_lesson_create(
        course=course,
        checked=services.scorm_package_check(fileobj=io.BytesIO(data), file_name="v.zip"),
    )
    _page, _launcher, config = play(member_client, lesson)
    url = config["launchUrl"].replace("index.html", "media/clip.mp4")
    partial = content_client().get(url, HTTP_RANGE="bytes=100-199")
    assert partial.status_code == 206
    assert partial["Content-Range"] == f"bytes 100-199/{len(video)}"
    assert partial["Content-Type"] == "video/mp4" and partial["Accept-Ranges"] == "bytes"
    assert b"".join(partial.streaming_content) == video[100:200]
    tail = content_client().get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == video[-10:]
    assert content_client().get(url, HTTP_RANGE=f"bytes={len(video)}-").status_code == 416


def test_a_launch_opens_only_its_own_package(member_client, course, scorm_lesson):
    other = services.scorm_lesson_create(
        course=course,
        checked=services.scorm_package_check(
            fileobj=io.BytesIO(f.single_sco_package(extra_files={"secret.html": "x"})),
            file_name="o.zip",
        ),
    )
    _page, _launcher, config = play(member_client, scorm_lesson)
    files = config["launchUrl"].rsplit("/files/", 1)[0] + "/files/"
    assert content_client().get(files + "secret.html").status_code == 404
    other_item = other.package.items.get().pk
    own_launch = launch_urls(_page)[0]
    assert (
        content_client().get(re.sub(r"/sco/\d+/", f"/sco/{other_item}/", own_launch)).status_code
        == 404
    )


def test_a_forged_or_expired_launch_is_refused(member_client, scorm_lesson, settings):
    page = member_client.get(scorm_lesson.url)
    url = launch_urls(page)[0]
    forged = re.sub(r"/scorm/([^/]+)/", lambda m: "/scorm/" + m.group(1)[:-3] + "abc/", url)
    response = content_client().get(forged)
    assert (
        response.status_code == 403
        and "レッスンを再読み込みしてください" in response.content.decode()
    )
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=13)):
        assert content_client().get(url).status_code == 403


def test_a_launch_ends_when_the_members_password_changes(member_client, member, scorm_lesson):
    page = member_client.get(scorm_lesson.url)
    member.user.set_password("a-new-password-123")
    member.user.save()
    assert content_client().get(launch_urls(page)[0]).status_code == 403


def test_commits_are_stored_and_report_completion(member_client, scorm_lesson):
    _page, _launcher, config = play(member_client, scorm_lesson)
    payload = {
        "cmi": {
            "core": {
                "lesson_status": "completed",
                "lesson_location": "4",
                "exit": "",
                "session_time": "00:02:00",
            },
            "suspend_data": '{"seen":[1,2,3,4]}',
        }
    }
    # sendBeacon posts the JSON as text/plain
    response = content_client().post(
        config["commitUrl"], json.dumps(payload), content_type="text/plain"
    )
    assert response.json() == {
        "result": "true",
        "errorCode": 0,
        "lessonStatus": "completed",
        "scoComplete": True,
        "lessonComplete": False,
    }
    state = ScormState.objects.get()
    assert (state.lesson_status, state.lesson_location, state.suspend_data) == (
        "completed",
        "4",
        '{"seen":[1,2,3,4]}',
    )


@pytest.mark.parametrize(
    "body, status",
    [
        ("{not json", 400),
        (json.dumps({"cmi": {"core": {"lesson_status": "finished"}}}), 400),
        (json.dumps({"cmi": {"suspend_data": "x" * 5000}}), 400),
    ],
)
def test_a_commit_no_api_would_send_is_refused_and_stores_nothing(
    member_client, scorm_lesson, body, status
):
    _page, _launcher, config = play(member_client, scorm_lesson)
    response = content_client().post(config["commitUrl"], body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["result"] == "false"
    assert ScormState.objects.get().commit_count == 0


def test_an_oversized_commit_is_refused(member_client, scorm_lesson, settings):
    settings.COURSES_SCORM_MAX_COMMIT_BYTES = 1000
    _page, _launcher, config = play(member_client, scorm_lesson)
    body = json.dumps({"cmi": {"comments": "x" * 2000}})
    assert (
        content_client()
        .post(config["commitUrl"], body, content_type="application/json")
        .status_code
        == 413
    )


def test_a_commit_of_an_earlier_launch_of_the_same_sco_is_refused(member_client, scorm_lesson):
    _page, _launcher, first = play(member_client, scorm_lesson)
    play(member_client, scorm_lesson)  # the member opens the lesson again (a reload, a tab)
    body = json.dumps({"cmi": {"core": {"lesson_location": "old"}}})
    assert (
        content_client().post(first["commitUrl"], body, content_type="application/json").status_code
        == 409
    )


def test_staff_preview_records_nothing(client, scorm_lesson):
    from tests.factories.quality import make_editor

    client.force_login(make_editor())
    page = client.get(scorm_lesson.url)
    assert page.status_code == 200
    launcher = content_client().get(launch_urls(page)[0])
    config = launcher_config(launcher)
    assert config["preview"] and config["cmi"]["core"]["student_id"] == "preview"
    body = json.dumps({"cmi": {"core": {"lesson_status": "completed"}}})
    response = content_client().post(config["commitUrl"], body, content_type="application/json")
    assert response.json()["result"] == "true"
    assert not ScormState.objects.exists() and not LessonProgress.objects.exists()


def test_a_member_of_another_organisation_cannot_open_the_lesson(
    client, organisation, other_organisation, course, scorm_lesson
):
    from tests.factories import make_member

    course.organisation = organisation
    course.save_revision().publish()
    outsider = make_member(
        organisation=other_organisation, member_no="900001", email="out@example.jp"
    )
    login_member(client, outsider)
    assert client.get(scorm_lesson.url).status_code == 404


def test_without_a_content_origin_the_lesson_says_so(member_client, scorm_lesson, settings):
    settings.COURSES_SCORM_CONTENT_ORIGIN = None
    settings.SITE_URL = "https://lms.example.jp"
    html = member_client.get(scorm_lesson.url).content.decode()
    assert "COURSES_SCORM_CONTENT_ORIGIN" in html and "<iframe" not in html


def test_a_content_origin_equal_to_the_site_is_never_framed(member_client, scorm_lesson, settings):
    settings.COURSES_SCORM_CONTENT_ORIGIN = "http://testserver"
    html = member_client.get(scorm_lesson.url).content.decode()
    assert "別のアドレスから配信する" in html and "<iframe" not in html
