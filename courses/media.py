"""Videos and captions: their facts read on the server, and their bytes served only to the
members who may open a lesson that uses them.

Durations are read with PyAV (the FFmpeg libraries, shipped in its wheels: nothing to install
on the machine) when a video is uploaded or replaced in the Wagtail admin
(``ServerDurationMediaForm``, wired by ``WAGTAILMEDIA["MEDIA_FORM_BASE"]``); the browser's
figure is never used. A video whose length cannot be read is refused with a clear message.

Serving: the lesson page signs each video and caption URL for the member it renders for
(``signed_url``); the file views check that signature against the session's user, so a URL
passed on, or the id of another organisation's video, is not found. The bytes are streamed in
chunks with HTTP ranges (``ranged_file_response``), or handed to the web server
(``COURSES_MEDIA_SERVE = "x-accel-redirect"``) or to the storage's own signed URL
(``"storage-url"``, e.g. S3 with query-string authentication).
"""

from __future__ import annotations

import logging
import mimetypes
import os
import re

from django.core import signing
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtailmedia.forms import BaseMediaForm

from . import conf

logger = logging.getLogger(__name__)

# --- durations --------------------------------------------------------------------------------


def probe_duration(source) -> float | None:
    """The length in seconds of the audio or video in ``source`` (a path or a binary file
    object), or None when it cannot be read (not a media file, damaged, no length).

    The container's own figure is used when it has one; a file without it (a WebM recorded by
    a browser, say) is read to its last packet, without decoding.
    """
    import av

    position = source.tell() if hasattr(source, "tell") else None
    try:
        with av.open(source, mode="r") as container:
            if container.duration and container.duration > 0:
                return container.duration / av.time_base
            streams = [s for s in container.streams if s.type in ("video", "audio")]
            for stream in streams:
                if stream.duration and stream.time_base:
                    return float(stream.duration * stream.time_base)
            end = 0.0
            for packet in container.demux(*streams):
                if packet.pts is not None and packet.time_base:
                    end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
            return end or None
    except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
        logger.info("media duration not readable: %s", exc)
        return None
    finally:
        if position is not None:
            source.seek(position)


def _upload_source(uploaded):
    path = getattr(uploaded, "temporary_file_path", None)
    return path() if path else uploaded


class ServerDurationMediaForm(BaseMediaForm):
    """wagtailmedia's form, with the duration read from the uploaded file on the server.

    Used for uploads and replacements in the media library and the chooser. The duration field
    is shown read-only: what an editor types there is never used.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "duration" in self.fields:
            field = self.fields["duration"]
            field.disabled = True
            field.required = False
            field.help_text = _("Read from the file on the server when it is uploaded.")

    def clean(self):
        cleaned = super().clean()
        uploaded = cleaned.get("file")
        is_new_file = "file" in self.changed_data or not self.instance.pk
        if not uploaded or not (is_new_file or not self.instance.duration):
            return cleaned
        source = _upload_source(uploaded) if is_new_file else self.instance.file
        duration = probe_duration(source)
        if duration:
            cleaned["duration"] = duration
            self.instance.duration = duration
        elif self.instance.type == "video":
            self.add_error(
                "file",
                _(
                    "The length of this video could not be read, so members' watching could not "
                    "be checked. Upload the video as an MP4 (H.264) or WebM file exported from "
                    "video software, not a damaged or renamed file."
                ),
            )
        return cleaned


# --- who may fetch what -------------------------------------------------------------------------

_SALT = "courses.media"
VIDEO, CAPTIONS = "v", "c"


def signed_url(*, kind: str, pk: int, user) -> str:
    """The URL of a video (``VIDEO``) or captions file (``CAPTIONS``) for ``user``: the lesson
    page that uses it was just rendered for them, so they may fetch it."""
    token = signing.dumps({"k": kind, "p": pk, "u": user.pk}, salt=_SALT, compress=True)
    name = "courses:media_file" if kind == VIDEO else "courses:captions"
    return f"{reverse(name, args=[pk])}?t={token}"


def check_signed(request, *, kind: str, pk: int) -> None:
    """Http404 unless the request carries a fresh signature of this file for its own user
    (staff and editors in the admin may fetch any file: they preview lessons)."""
    user = request.user
    if user.is_authenticated and user.has_perm("wagtailadmin.access_admin"):
        return
    try:
        data = signing.loads(request.GET.get("t", ""), salt=_SALT, max_age=conf.media_url_seconds())
    except signing.BadSignature:
        raise Http404
    if data != {"k": kind, "p": pk, "u": user.pk} or not user.is_authenticated:
        raise Http404


def refuse_captions_outside_the_player(document, request):
    """Wagtail's document view serves every document by id; captions (.vtt) go only through
    the player's signed URL, except to staff and editors."""
    if not document.file.name.lower().endswith(".vtt"):
        return None
    user = request.user
    if user.is_authenticated and user.has_perm("wagtailadmin.access_admin"):
        return None
    raise Http404


# --- serving ------------------------------------------------------------------------------------

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class _Slice:
    """A read-only file limited to ``length`` bytes from ``start``: FileResponse streams it in
    chunks (FileResponse.block_size), never the whole range at once."""

    def __init__(self, handle, start, length):
        self._handle, self._left = handle, length
        handle.seek(start)

    def read(self, size=-1):
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._handle.read(size)
        self._left -= len(data)
        return data

    def close(self):
        self._handle.close()


def _parse_range(header: str, size: int):
    """(start, end) inclusive, or None for no usable range, or "unsatisfiable"."""
    match = _RANGE.match(header.strip())
    if not match:
        return None  # several ranges or another unit: the whole file (RFC 9110 allows it)
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return "unsatisfiable"
    return start, end


def ranged_file_response(request, field_file, content_type):
    """The file, or the byte range the browser asked for, without reading it into memory.

    ``COURSES_MEDIA_SERVE``: "django" streams from the storage here; "x-accel-redirect" hands
    the file to nginx (an ``internal`` location at ``COURSES_MEDIA_ACCEL_PREFIX`` with the same
    files), which serves ranges itself; "storage-url" redirects to the storage's URL (signed
    and short-lived with S3 query-string authentication).
    """
    mode = conf.media_serve()
    if mode == "x-accel-redirect":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = conf.media_accel_prefix() + field_file.name
        response["Cache-Control"] = "private, max-age=3600"
        return response
    if mode == "storage-url":
        return HttpResponseRedirect(field_file.storage.url(field_file.name))
    try:
        size = field_file.size
        handle = field_file.storage.open(field_file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404
    wanted = _parse_range(request.headers.get("Range", ""), size)
    if wanted == "unsatisfiable":
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if wanted is None:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        start, end = wanted
        response = FileResponse(_Slice(handle, start, end - start + 1), content_type=content_type)
        response.status_code = 206
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response.block_size = 64 * 1024
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def guess_type(name: str, default="application/octet-stream") -> str:
    return mimetypes.guess_type(os.path.basename(name))[0] or default
