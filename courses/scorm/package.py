"""Reading an uploaded SCORM package (a zip) safely, before anything is stored.

- File names: the UTF-8 flag, the Info-ZIP Unicode Path field, then UTF-8 without the flag
  (macOS, 7-Zip) and CP932 (Japanese Windows) for names ZIP calls CP437; backslashes become
  slashes and names are NFC-normalised (macOS writes NFD) so that they match the manifest.
- Refused: names that leave the folder (absolute, drive letters, ``..``), symbolic links,
  encrypted entries, more than ``max_files`` files or ``max_bytes`` unpacked bytes (a zip bomb:
  the sizes in the central directory are checked before reading, and ``zipfile`` never reads
  past an entry's declared size and checks its CRC).
- The manifest must be ``imsmanifest.xml`` at the top level.
"""

from __future__ import annotations

import dataclasses
import re
import stat
import struct
import unicodedata
import zipfile
import zlib

from . import problems as p

MANIFEST = "imsmanifest.xml"
MAX_MANIFEST_BYTES = 20 * 1024 * 1024
IGNORED_PREFIXES = ("__MACOSX/",)
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
UNICODE_PATH_EXTRA = 0x7075
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclasses.dataclass(frozen=True)
class Limits:
    max_files: int
    max_bytes: int  # unpacked
    max_upload_bytes: int


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str  # safe path inside the package, "/"-separated, NFC
    info: zipfile.ZipInfo

    @property
    def size(self) -> int:
        return self.info.file_size


def _unicode_path_extra(info: zipfile.ZipInfo) -> str | None:
    """The Info-ZIP Unicode Path (0x7075) of an entry, when its CRC matches the stored name."""
    extra = info.extra
    position = 0
    while position + 4 <= len(extra):
        header_id, size = struct.unpack("<HH", extra[position : position + 4])
        data = extra[position + 4 : position + 4 + size]
        position += 4 + size
        if header_id != UNICODE_PATH_EXTRA or len(data) < 5 or data[0] != 1:
            continue
        (crc,) = struct.unpack("<L", data[1:5])
        if crc == zlib.crc32(_raw_name(info)):
            try:
                return data[5:].decode("utf-8")
            except UnicodeDecodeError:
                return None
    return None


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    if info.flag_bits & 0x800:
        return info.orig_filename.encode("utf-8")
    return info.orig_filename.encode("cp437")


def decoded_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as the tool that made the zip meant it."""
    if info.flag_bits & 0x800:
        return info.orig_filename
    from_extra = _unicode_path_extra(info)
    if from_extra is not None:
        return from_extra
    raw = _raw_name(info)
    if raw.isascii():
        return raw.decode("ascii")
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.orig_filename


def normalised_name(name: str) -> str | None:
    """A safe "/"-separated, NFC path inside the package, or None when it would leave it."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/"))
    if "\x00" in name or name.startswith("/") or _DRIVE.match(name):
        return None
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        return None
    return "/".join(parts)


def name_key(name: str) -> str:
    """How names are compared when the exact one is missing (packages made on Windows)."""
    return unicodedata.normalize("NFC", name).casefold()


class Archive:
    """A checked package: its entries by safe name, readable one at a time."""

    def __init__(self, zip_file: zipfile.ZipFile, entries: dict[str, Entry], *, file_name=""):
        self.zip = zip_file
        self.entries = entries
        self.file_name = file_name
        self._folded = {}
        for name in entries:
            self._folded.setdefault(name_key(name), name)

    @property
    def total_bytes(self) -> int:
        return sum(entry.size for entry in self.entries.values())

    def find(self, name: str) -> str | None:
        """The entry's name: exactly, or else compared without case (Windows-made packages)."""
        name = unicodedata.normalize("NFC", name)
        if name in self.entries:
            return name
        return self._folded.get(name_key(name))

    def open(self, name: str):
        return self.zip.open(self.entries[name].info)

    def read(self, name: str, *, limit: int | None = None) -> bytes:
        entry = self.entries[name]
        if limit is not None and entry.size > limit:
            raise p.PackageRefused(
                [
                    p.Problem(
                        "too_large",
                        {"size": p.file_size(entry.size), "limit": p.file_size(limit)},
                        file=name,
                    )
                ]
            )
        try:
            with self.zip.open(entry.info) as handle:
                return handle.read()
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise p.PackageRefused(
                [p.Problem("corrupt_file", {"name": name, "reason": str(exc)}, file=name)]
            )

    def close(self):
        self.zip.close()


def open_archive(fileobj, *, limits: Limits, file_name: str = "") -> Archive:
    """Check the zip's central directory and return an ``Archive``; nothing is extracted.

    Raises ``PackageRefused`` with every problem found (up to ten of each kind).
    """
    size = _size_of(fileobj)
    if size is not None and size > limits.max_upload_bytes:
        raise p.PackageRefused(
            [
                p.Problem(
                    "upload_too_large",
                    {"size": p.file_size(size), "limit": p.file_size(limits.max_upload_bytes)},
                )
            ]
        )
    try:
        zip_file = zipfile.ZipFile(fileobj)
        infos = zip_file.infolist()
    except zipfile.BadZipFile:
        raise p.PackageRefused([p.Problem("not_zip")])
    except (OSError, ValueError, EOFError) as exc:
        raise p.PackageRefused([p.Problem("bad_zip", {"reason": str(exc)})])
    errors: list[p.Problem] = []
    entries: dict[str, Entry] = {}
    seen_codes: dict[str, int] = {}

    def refuse(code, **params):
        seen_codes[code] = seen_codes.get(code, 0) + 1
        if seen_codes[code] <= 10:
            errors.append(p.Problem(code, params))

    files = [info for info in infos if not info.is_dir()]
    if len(files) > limits.max_files:
        refuse("too_many_files", count=f"{len(files):,}", limit=f"{limits.max_files:,}")
    total = sum(info.file_size for info in files)
    if total > limits.max_bytes:
        refuse("too_large", size=p.file_size(total), limit=p.file_size(limits.max_bytes))
    if errors:  # a bomb is not read any further
        zip_file.close()
        raise p.PackageRefused(errors)
    for info in files:
        original = decoded_name(info)
        name = normalised_name(original)
        if name is None:
            refuse("unsafe_path", name=original)
            continue
        if name.startswith(IGNORED_PREFIXES) or name.rsplit("/", 1)[-1] in IGNORED_NAMES:
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            refuse("symlink", name=original)
        elif info.flag_bits & 0x1:
            refuse("encrypted", name=original)
        elif name in entries:
            refuse("duplicate_name", name=name)
        else:
            entries[name] = Entry(name=name, info=info)
    if errors:
        zip_file.close()
        raise p.PackageRefused(errors)
    return Archive(zip_file, entries, file_name=file_name)


def manifest_name(archive: Archive) -> str:
    """The manifest's entry name; refuses packages without one at the top level."""
    at_root = [name for name in archive.entries if "/" not in name and name.lower() == MANIFEST]
    if at_root:
        return at_root[0]
    nested = sorted(
        (name for name in archive.entries if name.rsplit("/", 1)[-1].lower() == MANIFEST),
        key=lambda name: (name.count("/"), name),
    )
    if nested:
        found = nested[0]
        raise p.PackageRefused(
            [
                p.Problem(
                    "manifest_in_subfolder", {"found": found, "folder": found.rsplit("/", 1)[0]}
                )
            ]
        )
    raise p.PackageRefused([p.Problem("no_manifest")])


def _size_of(fileobj) -> int | None:
    try:
        position = fileobj.tell()
        fileobj.seek(0, 2)
        size = fileobj.tell()
        fileobj.seek(position)
        return size
    except (AttributeError, OSError):
        return None
