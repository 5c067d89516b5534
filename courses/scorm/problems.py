"""Why a SCORM package is refused (errors) or what an editor should know about it (warnings).

One type for both, like the roster's ``Issue``: a code, its parameters and where it was found
(the package file, a file inside it, a line and a column). The message is rendered in the
active language; ``messages()`` gives the Japanese and the English together for the admin and
the command's JSON.
"""

from __future__ import annotations

import dataclasses

from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ERRORS = {
    "not_zip": gettext_lazy(
        "The file is not a ZIP archive. A SCORM package is a .zip file with imsmanifest.xml "
        "at its top level."
    ),
    "bad_zip": gettext_lazy("The ZIP archive is damaged (%(reason)s)."),
    "upload_too_large": gettext_lazy(
        "The file is %(size)s; at most %(limit)s can be uploaded as a SCORM package."
    ),
    "no_manifest": gettext_lazy(
        "The package has no imsmanifest.xml: it is not a SCORM package (AICC and xAPI "
        "packages cannot be imported)."
    ),
    "manifest_in_subfolder": gettext_lazy(
        "imsmanifest.xml is not at the top level of the package (it is at %(found)s). Zip the "
        "contents of the folder “%(folder)s”, not the folder itself."
    ),
    "manifest_unparsable": gettext_lazy("imsmanifest.xml is not well-formed XML (%(reason)s)."),
    "manifest_not_manifest": gettext_lazy(
        "imsmanifest.xml does not start with a <manifest> element (it starts with <%(tag)s>)."
    ),
    "scorm_2004": gettext_lazy(
        "This is a SCORM 2004 package (%(version)s). SCORM 2004 is not supported yet: ask the "
        "vendor for the SCORM 1.2 edition of the course."
    ),
    "unknown_version": gettext_lazy(
        "Unknown SCORM version “%(version)s”. Only SCORM 1.2 packages can be imported."
    ),
    "no_organization": gettext_lazy(
        "The manifest has no organization with items, so there is nothing to launch."
    ),
    "no_launchable_item": gettext_lazy(
        "No item of the organization “%(organization)s” launches a resource, so there is "
        "nothing to play."
    ),
    "missing_resource": gettext_lazy(
        "The item “%(title)s” refers to the resource “%(ref)s”, which the manifest does not have."
    ),
    "resource_without_href": gettext_lazy(
        "The item “%(title)s” launches the resource “%(ref)s”, which has no href (no launch file)."
    ),
    "missing_launch": gettext_lazy(
        "The launch file “%(href)s” of “%(title)s” is not in the package."
    ),
    "external_launch": gettext_lazy(
        "The item “%(title)s” launches “%(href)s”, outside the package: only content inside the "
        "package can be played."
    ),
    "unsafe_path": gettext_lazy(
        "The file name “%(name)s” leads outside the package's folder (a “zip slip”)."
    ),
    "symlink": gettext_lazy("“%(name)s” is a symbolic link; packages must contain plain files."),
    "encrypted": gettext_lazy(
        "“%(name)s” is encrypted: a package protected by a password cannot be played."
    ),
    "duplicate_name": gettext_lazy("“%(name)s” appears more than once in the package."),
    "too_many_files": gettext_lazy(
        "The package holds %(count)s files; at most %(limit)s are accepted."
    ),
    "too_large": gettext_lazy("The package unpacks to %(size)s; at most %(limit)s are accepted."),
    "corrupt_file": gettext_lazy("“%(name)s” cannot be read from the ZIP archive (%(reason)s)."),
}

WARNINGS = {
    "no_version_declared": gettext_lazy(
        "The manifest does not state its SCORM version; it is read as SCORM 1.2."
    ),
    "prerequisites_ignored": gettext_lazy(
        "Prerequisites (adlcp:prerequisites) are not enforced: every part of the course can be "
        "opened in any order."
    ),
    "time_limits_not_enforced": gettext_lazy(
        "Time limits (adlcp:maxtimeallowed) are given to the content, which decides what to do "
        "with them; the LMS does not stop a member."
    ),
    "other_organizations_ignored": gettext_lazy(
        "The manifest has %(count)s organizations; only the default one, “%(title)s”, is used."
    ),
    "missing_listed_files": gettext_lazy(
        "%(count)s files listed in the manifest are not in the package (the first is “%(name)s”); "
        "the content may not show them."
    ),
    "scormtype_missing": gettext_lazy(
        "The resource “%(ref)s” does not say whether it is a SCO or an asset; it is treated as "
        "a SCO (it must report its status)."
    ),
    "bad_mastery_score": gettext_lazy(
        "The mastery score “%(value)s” of “%(title)s” is not a number from 0 to 100; it is ignored."
    ),
    "sub_manifests_ignored": gettext_lazy("Sub-manifests inside imsmanifest.xml are ignored."),
    "suspend_data_limit": gettext_lazy(
        "Bookmarks (suspend_data) longer than %(limit)s characters are refused, as SCORM 1.2 says."
    ),
}


def file_size(num_bytes: int) -> str:
    """1536 -> "1.5 MB"-style sizes for messages (MB = 1,000,000 bytes, as file managers do)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if num_bytes >= scale:
            return f"{number_format(num_bytes / scale, 1)} {unit}"
    return f"{number_format(num_bytes)} B"


@dataclasses.dataclass(frozen=True)
class Problem:
    code: str
    params: dict = dataclasses.field(default_factory=dict)
    file: str = ""  # a file inside the package, e.g. "imsmanifest.xml"
    line: int = 0
    column: int = 0

    @property
    def is_error(self) -> bool:
        return self.code in ERRORS

    def message(self, package_name: str = "") -> str:
        """One line: where (package, file, line, column), then what (active language)."""
        where = [name for name in (package_name, self.file) if name]
        if self.line:
            where.append(_("line %(line)s") % {"line": self.line})
        if self.column:
            where.append(_("column %(column)s") % {"column": self.column})
        text = str((ERRORS | WARNINGS)[self.code]) % self.params
        return f"{', '.join(where)}: {text}" if where else text

    def messages(self, package_name: str = "") -> dict[str, str]:
        """The message in Japanese and in English: {"ja": ..., "en": ...}."""
        out = {}
        for language in ("ja", "en"):
            with translation.override(language):
                out[language] = self.message(package_name)
        return out

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Problem:
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


class PackageRefused(Exception):
    """The package cannot be imported; nothing was changed. ``problems`` says why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.code for p in problems))
