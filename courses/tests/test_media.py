"""Videos and captions (courses/media.py): the duration read on the server from a real video
made here with PyAV, videos without a readable one refused, the browser's figure never used;
files served only to the member the lesson page was rendered for; ranges streamed in bounded
memory; the production hand-offs."""

import io
import re
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtailmedia.models import get_media_model

from courses import services
from courses.blocks import VideoBlock
from courses.tests.conftest import login_member
from tests.factories import make_member
from tests.factories.courses import (
    make_captions,
    make_course_page,
    make_lesson,
    make_video_media,
    video_block,
)

pytestmark = pytest.mark.django_db


def make_video(*, seconds=2.5, fps=10, container="mp4", codec="mpeg4") -> bytes:
    """A real video file: ``seconds`` of 64×64 frames, encoded with FFmpeg through PyAV."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=fps)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        for n in range(round(seconds * fps)):
            frame = av.VideoFrame(64, 64, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([n * 9 % 256]) * plane.buffer_size)
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return buffer.getvalue()


@pytest.fixture
def editor_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.jp", "pw")
    client.force_login(user)
    return client


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "container,codec,name", [("mp4", "mpeg4", "clip.mp4"), ("webm", "libvpx", "clip.webm")]
)
def test_the_duration_is_read_on_the_server_at_upload(editor_client, container, codec, name):
    from wagtail.models import Collection

    data = make_video(seconds=2.5, container=container, codec=codec)
    response = editor_client.post(
        reverse("wagtailmedia:add", args=["video"]),
        {
            "title": "熱中症",
            "file": SimpleUploadedFile(name, data),
            "collection": Collection.get_first_root_node().pk,
            "duration": "9999",  # whatever the browser or the editor says is not used
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    media = get_media_model().objects.get(title="熱中症")
    assert media.duration == pytest.approx(2.5, abs=0.15)


def test_replacing_the_file_reads_the_new_duration(editor_client):
    from wagtail.models import Collection

    media = make_video_media(duration=100.0)
    response = editor_client.post(
        reverse("wagtailmedia:edit", args=[media.pk]),
        {
            "title": media.title,
            "file": SimpleUploadedFile("longer.mp4", make_video(seconds=4)),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 302
    media.refresh_from_db()
    assert media.duration == pytest.approx(4.0, abs=0.15)


def test_a_video_without_a_readable_duration_is_refused_in_japanese(editor_client):
    from wagtail.models import Collection

    response = editor_client.post(
        reverse("wagtailmedia:add", args=["video"]),
        {
            "title": "壊れたファイル",
            "file": SimpleUploadedFile("broken.mp4", b"\x00\x00\x00\x18ftypmp42" + b"x" * 500),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 200
    assert "動画の長さを読み取れませんでした" in response.content.decode()
    assert not get_media_model().objects.filter(title="壊れたファイル").exists()


def test_a_lesson_cannot_use_a_video_whose_length_is_unknown():
    from wagtail.blocks import StructBlockValidationError

    media = make_video_media(duration=0)
    block = VideoBlock()
    value = block.to_python(video_block(media=media, captions=make_captions())["value"])
    with pytest.raises(StructBlockValidationError) as refused:
        block.clean(value)
    assert "media" in refused.value.block_errors


def test_the_browser_s_duration_is_never_used(member, course):
    """A video saved before durations were read on the server (length 0): the player's
    report of its length is ignored, so it cannot be completed by 'watching'; the member
    studies it through the transcript."""
    media = make_video_media(duration=0)
    lesson = make_lesson(
        course=course, slug="legacy", body=[video_block(media=media, captions=make_captions())]
    )
    enrolment = services.enrolment_start(member=member, course=course)
    services.lesson_open(enrolment=enrolment, lesson=lesson)
    block_id = services.lesson_requirements(lesson).videos[0].block_id
    progress = services.lesson_video_report(
        enrolment=enrolment, lesson=lesson, block_id=block_id, played=[[0, 8]]
    )
    assert progress.completed_at is None
    assert services.lesson_status(lesson=lesson, progress=progress, quiz_passed=False).missing


# --- who may fetch the files ------------------------------------------------------------------


@pytest.fixture
def video_lesson_of_a(index, organisation):
    course = make_course_page(index=index, slug="a-only", organisation=organisation)
    media = make_video_media(duration=2.0, data=make_video(seconds=2))
    captions = make_captions()
    lesson = make_lesson(
        course=course, slug="video", body=[video_block(media=media, captions=captions)]
    )
    return lesson, media, captions


def _urls(client, lesson):
    html = client.get(lesson.url).content.decode()
    video = re.search(r'<source src="([^"]+)"', html).group(1).replace("&amp;", "&")
    track = re.search(r'<track kind="captions" src="([^"]+)"', html).group(1).replace("&amp;", "&")
    return video, track


def test_media_is_served_only_to_members_who_may_open_the_lesson(
    client, member, video_lesson_of_a, other_organisation
):
    from django.test import Client

    lesson, media, captions = video_lesson_of_a
    login_member(client, member)
    video_url, captions_url = _urls(client, lesson)
    assert client.get(video_url).status_code == 200
    assert b"WEBVTT" in b"".join(client.get(captions_url).streaming_content)

    stranger = Client()
    login_member(
        stranger,
        make_member(organisation=other_organisation, member_no="B1", email="b@example.jp"),
    )
    assert stranger.get(lesson.url).status_code == 404  # the lesson is organisation A's
    assert stranger.get(video_url).status_code == 404, "a URL passed on is not theirs"
    assert stranger.get(captions_url).status_code == 404
    bare = reverse("courses:media_file", args=[media.pk])
    assert stranger.get(bare).status_code == 404  # by id, without a signature
    assert client.get(bare).status_code == 404  # not even the member: only through the page
    # the signature names one file: it does not open another id
    other = make_video_media(duration=3.0)
    assert client.get(video_url.replace(f"/{media.pk}/", f"/{other.pk}/")).status_code == 404
    # Wagtail's own document URL does not serve captions to members either
    assert client.get(captions.url).status_code == 404
    assert Client().get(video_url).status_code == 302  # signed out: to the sign-in page


def test_staff_and_editors_may_fetch_media_to_preview(editor_client, video_lesson_of_a):
    _, media, captions = video_lesson_of_a
    assert editor_client.get(reverse("courses:media_file", args=[media.pk])).status_code == 200
    assert editor_client.get(captions.url).status_code == 200


# --- serving ------------------------------------------------------------------------------------


@pytest.fixture
def signed(client, member, video_lesson_of_a):
    lesson, media, _ = video_lesson_of_a
    login_member(client, member)
    video_url, _ = _urls(client, lesson)
    return client, video_url, media


def test_ranges(signed):
    client, url, media = signed
    size = media.file.size
    whole = b"".join(client.get(url).streaming_content)
    assert len(whole) == size
    part = client.get(url, HTTP_RANGE="bytes=10-109")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 10-109/{size}"
    assert b"".join(part.streaming_content) == whole[10:110]
    tail = client.get(url, HTTP_RANGE="bytes=-16")
    assert b"".join(tail.streaming_content) == whole[-16:]
    assert client.get(url, HTTP_RANGE=f"bytes={size}-").status_code == 416


def test_a_range_of_a_large_file_streams_in_bounded_memory(signed, settings, tmp_path):
    """Four ``Range: bytes=0-`` requests on a 64 MB video (a browser's first requests) never
    hold more than a few chunks in memory."""
    client, url, media = signed
    big = media.file.path
    with open(big, "ab") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: no disk used, every byte read all the same
    tracemalloc.start()
    try:
        for _ in range(4):
            response = client.get(url, HTTP_RANGE="bytes=0-")
            assert response.status_code == 206
            received = sum(len(chunk) for chunk in response.streaming_content)
            assert received == 64 * 1024 * 1024
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a 64 MB range"


def test_production_hands_the_bytes_to_the_web_server(signed, settings):
    client, url, media = signed
    settings.COURSES_MEDIA_SERVE = "x-accel-redirect"
    settings.COURSES_MEDIA_ACCEL_PREFIX = "/protected-media/"
    response = client.get(url, HTTP_RANGE="bytes=0-")
    assert response["X-Accel-Redirect"] == "/protected-media/" + media.file.name
    assert response.content == b""
    settings.COURSES_MEDIA_SERVE = "storage-url"
    response = client.get(url)
    assert response.status_code == 302 and response.url == media.file.url


def test_the_system_check_names_a_missing_form(settings):
    from courses.checks import media_durations_read_on_the_server

    assert media_durations_read_on_the_server() == []
    settings.WAGTAILMEDIA = {"MEDIA_MODEL": "wagtailmedia.Media"}
    assert [w.id for w in media_durations_read_on_the_server()] == ["courses.W001"]
