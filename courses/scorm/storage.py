"""Packages' files in Django's storage (local folder or S3), and streaming them back.

The storage is ``STORAGES["scorm"]`` when the site defines it (the project's settings do: a
folder outside MEDIA_ROOT, or a private S3 prefix), else the default storage. It is never
served under MEDIA_URL: files leave only through the content origin's permission-checked view.
"""

from __future__ import annotations

import mimetypes
import re

from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.http import HttpResponse, StreamingHttpResponse

CHUNK = 64 * 1024
# fixed types for what packages contain (the server's /etc/mime.types may lack or differ)
CONTENT_TYPES = {
    "html": "text/html",
    "htm": "text/html",
    "xhtml": "application/xhtml+xml",
    "js": "text/javascript",
    "mjs": "text/javascript",
    "css": "text/css",
    "json": "application/json",
    "xml": "application/xml",
    "xsd": "application/xml",
    "dtd": "application/xml-dtd",
    "txt": "text/plain",
    "vtt": "text/vtt",
    "srt": "text/plain",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "ico": "image/x-icon",
    "bmp": "image/bmp",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "webm": "video/webm",
    "ogv": "video/ogg",
    "mov": "video/quicktime",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "aac": "audio/aac",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "otf": "font/otf",
    "eot": "application/vnd.ms-fontobject",
    "pdf": "application/pdf",
    "swf": "application/x-shockwave-flash",
    "wasm": "application/wasm",
    "zip": "application/zip",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def package_storage():
    """The storage of SCORM packages (a callable, so that FileField and settings agree)."""
    if "scorm" in getattr(settings, "STORAGES", {}):
        return storages["scorm"]
    return default_storage


def content_type_for(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    if extension in CONTENT_TYPES:
        return CONTENT_TYPES[extension]
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def _open_range(storage, name: str, start: int, length: int):
    """An iterator over ``length`` bytes of ``name`` from ``start``, without reading the rest.

    S3 storage: one ranged GET; other storages: seek in the opened file.
    """
    bucket = getattr(storage, "bucket", None)
    if bucket is not None and hasattr(storage, "_normalize_name"):
        body = bucket.Object(storage._normalize_name(name)).get(
            Range=f"bytes={start}-{start + length - 1}"
        )["Body"]
        try:
            yield from iter(lambda: body.read(CHUNK), b"")
        finally:
            body.close()
        return
    with storage.open(name, "rb") as handle:
        handle.seek(start)
        left = length
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk


def file_response(request, *, storage, name: str, size: int, content_type: str):
    """Stream a stored file, answering ``Range`` requests (video seeking) with 206."""
    start, length, status = 0, size, 200
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if match and (match.group(1) or match.group(2)):
        first, last = match.groups()
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        else:  # the last N bytes
            start = max(0, size - int(last))
            end = size - 1
        if start >= size or end < start:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        length, status = end - start + 1, 206
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type)
    else:
        response = StreamingHttpResponse(
            _open_range(storage, name, start, length), status=status, content_type=content_type
        )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    return response
