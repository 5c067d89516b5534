"""Writes for SCORM lessons: importing a package, launching a SCO, storing its commits.

The command (import_scorm), the admin upload and its Celery task call the same functions.
An import is all or nothing: the package is checked completely before anything is written,
then the lesson, its package rows and files are created in one transaction; if anything
fails, the files already stored are deleted again and the transaction is rolled back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import zipfile
import zlib

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from .. import conf
from .. import services as course_services
from ..models import CoursePage, Enrolment, LessonProgress
from . import cmi
from . import package as pkg
from . import problems as p
from .manifest import Manifest, parse_manifest
from .models import (
    MAX_LAUNCH_LENGTH,
    ScormFile,
    ScormItem,
    ScormLessonPage,
    ScormPackage,
    ScormState,
)
from .storage import content_type_for, package_storage


def limits() -> pkg.Limits:
    return pkg.Limits(
        max_files=conf.scorm_max_files(),
        max_bytes=conf.scorm_max_bytes(),
        max_upload_bytes=conf.scorm_max_upload_bytes(),
    )


# --- checking and importing -------------------------------------------------------------------


@dataclasses.dataclass
class CheckedPackage:
    """A package that can be imported: its archive (open), manifest and facts."""

    file_name: str
    archive: pkg.Archive
    manifest: Manifest
    sha256: str
    size: int

    @property
    def warnings(self) -> list[p.Problem]:
        return self.manifest.warnings + [
            p.Problem("suspend_data_limit", {"limit": f"{conf.scorm_suspend_data_limit():,}"})
        ]

    def summary(self) -> dict:
        """What the admin preview and the command show before anything is created."""
        return {
            "title": self.manifest.title,
            "version": self.manifest.version,
            "identifier": self.manifest.identifier,
            "files": len(self.archive.entries),
            "bytes": self.archive.total_bytes,
            "sha256": self.sha256,
            "items": [
                {
                    "title": item.title,
                    "depth": item.depth,
                    "type": item.scorm_type,
                    "launch": item.launch,
                    "visible": item.visible,
                    "mastery_score": str(item.mastery_score)
                    if item.mastery_score is not None
                    else "",
                }
                for item in self.manifest.items
            ],
        }


def _sha256(fileobj) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), size


def scorm_package_check(*, fileobj, file_name: str) -> CheckedPackage:
    """Check a package without storing anything. Raises ``PackageRefused`` with every problem.

    ``fileobj`` must be seekable (an uploaded file, an open file, a BytesIO)."""
    archive = pkg.open_archive(fileobj, limits=limits(), file_name=file_name)
    try:
        manifest_name = pkg.manifest_name(archive)
        manifest = parse_manifest(
            archive.read(manifest_name, limit=pkg.MAX_MANIFEST_BYTES), find=archive.find
        )
        too_long = [name for name in archive.entries if len(name) > 512]
        if too_long:
            raise p.PackageRefused([p.Problem("unsafe_path", {"name": too_long[0]})])
    except p.PackageRefused:
        archive.close()
        raise
    sha256, size = _sha256(fileobj)
    return CheckedPackage(
        file_name=file_name, archive=archive, manifest=manifest, sha256=sha256, size=size
    )


def _free_slug(course: CoursePage, *candidates: str) -> str:
    """An ASCII slug (URLs that survive e-mail and copy-paste): from the first candidate that
    gives one (the title, the package's file name, its identifier), else "scorm"."""
    base = next(
        (slug for slug in (slugify(c)[:60].strip("-") for c in candidates if c) if slug), "scorm"
    )
    taken = set(course.get_children().values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def scorm_lesson_create(
    *, course: CoursePage, checked: CheckedPackage, title: str = "", user=None, on_progress=None
) -> ScormLessonPage:
    """Create a SCORM lesson under ``course`` from a checked package: published when ``user``
    may publish pages there (or is None: the command), else saved as a draft, as Wagtail's
    own page editor would.

    ``on_progress(done, total)`` is called while files are stored. All or nothing.
    """
    lesson_title = (title or checked.manifest.title).strip()[:255]
    storage = package_storage()
    stored: list[str] = []
    try:
        with transaction.atomic():
            course = CoursePage.objects.select_for_update().get(pk=course.pk)
            publish = user is None or course.permissions_for_user(user).can_publish_subpage()
            lesson = ScormLessonPage(
                title=lesson_title,
                slug=_free_slug(
                    course,
                    lesson_title,
                    checked.file_name.rsplit(".", 1)[0],
                    checked.manifest.identifier,
                ),
                body=[],
                live=publish,
                has_unpublished_changes=not publish,
                owner=user,
            )
            course.add_child(instance=lesson)
            package = _package_store(
                lesson=lesson, checked=checked, user=user, version=1, stored=stored,
                storage=storage, on_progress=on_progress,
            )  # fmt: skip
            revision = lesson.save_revision(user=user, log_action=True)
            if publish:
                revision.publish(user=user)
    except BaseException:
        for name in stored:
            if storage.exists(name):
                storage.delete(name)
        raise
    finally:
        checked.archive.close()
    lesson.refresh_from_db()
    lesson._current_package = package
    return lesson


def _package_store(*, lesson, checked, user, version, stored, storage, on_progress):
    # a folder of its own under the lesson's id: never mixed with files left by anything else
    prefix = f"scorm/{lesson.pk}/{version}-{secrets.token_hex(6)}/"
    package = ScormPackage.objects.create(
        lesson=lesson,
        version=version,
        scorm_version=checked.manifest.version,
        identifier=checked.manifest.identifier[:255],
        title=checked.manifest.title[:255],
        original_filename=checked.file_name[:255],
        sha256=checked.sha256,
        file_count=len(checked.archive.entries),
        total_bytes=checked.archive.total_bytes,
        storage_prefix=prefix,
        warnings=[w.as_dict() for w in checked.warnings],
        uploaded_by=user,
    )
    ScormItem.objects.bulk_create(
        ScormItem(
            package=package,
            position=position,
            identifier=item.identifier[:255],
            title=item.title[:255],
            depth=item.depth,
            scorm_type=item.scorm_type,
            launch=item.launch[:MAX_LAUNCH_LENGTH],
            launch_file=item.launch_file,
            is_visible=item.visible,
            mastery_score=item.mastery_score,
            launch_data=item.launch_data,
            max_time_allowed=item.max_time_allowed[:32],
            time_limit_action=item.time_limit_action[:32],
            prerequisites=item.prerequisites[:1000],
        )
        for position, item in enumerate(checked.manifest.items, start=1)
    )
    files = []
    total = len(checked.archive.entries)
    for done, (name, entry) in enumerate(sorted(checked.archive.entries.items()), start=1):
        try:
            with checked.archive.open(name) as handle:
                saved = storage.save(prefix + name, handle)
        except (OSError, EOFError, ValueError, zlib.error, zipfile.BadZipFile) as exc:
            stored.append(prefix + name)  # what the storage wrote of it before it failed
            raise p.PackageRefused(
                [p.Problem("corrupt_file", {"name": name, "reason": str(exc)}, file=name)]
            )
        stored.append(saved)
        if saved != prefix + name:  # the storage renamed it: the package's links would break
            raise RuntimeError(f"storage stored {name!r} as {saved!r}")
        files.append(
            ScormFile(
                package=package,
                path=name,
                path_key=pkg.name_key(name),
                size=entry.size,
                content_type=content_type_for(name),
            )
        )
        if on_progress is not None and (done % 50 == 0 or done == total):
            on_progress(done, total)
    ScormFile.objects.bulk_create(files, batch_size=1000)
    return package


# --- launching and committing ---------------------------------------------------------------


def _session_key() -> str:
    return secrets.token_hex(8)


@dataclasses.dataclass
class Launched:
    state: ScormState
    entry: str  # cmi.core.entry: "ab-initio", "resume" or ""


def scorm_launch(*, enrolment: Enrolment, lesson: ScormLessonPage, item: ScormItem) -> Launched:
    """Record a launch of ``item`` (one SCO) and start a new session of it.

    The previous session's reported time is closed; commits of that session are refused from
    now on (a late one would overwrite what this launch started from). An asset completes by
    being launched (it has no API to report with), as SCORM 1.2 LMSs do.
    """
    progress = course_services.lesson_open(enrolment=enrolment, lesson=lesson)
    now = timezone.now()
    with transaction.atomic():
        state = (
            ScormState.objects.select_for_update()
            .filter(progress=progress, item_identifier=item.identifier)
            .first()
        )
        if state is None:
            try:
                with transaction.atomic():
                    state = ScormState.objects.create(
                        progress=progress,
                        item_identifier=item.identifier,
                        title=item.title,
                        first_launched_at=now,
                    )
            except IntegrityError:  # another tab launched it at the same moment
                state = ScormState.objects.select_for_update().get(
                    progress=progress, item_identifier=item.identifier
                )
        if state.launch_count == 0:
            entry = "ab-initio"
        else:
            entry = "resume" if state.exit == "suspend" else ""
        state.title = item.title
        state.closed_seconds += state.session_seconds
        state.session_seconds = 0
        state.session_key = _session_key()
        state.launch_count += 1
        state.last_launched_at = now
        if item.scorm_type == ScormItem.Kind.ASSET and state.completed_at is None:
            state.lesson_status = ScormState.LessonStatus.COMPLETED
            state.completed_at = now
        state.save()
    if item.scorm_type == ScormItem.Kind.ASSET:
        scorm_lesson_try_complete(enrolment=enrolment, lesson=lesson)
    return Launched(state=state, entry=entry)


class StaleSession(Exception):
    """A commit of a session that a later launch of the same SCO has replaced."""


@dataclasses.dataclass
class CommitResult:
    lesson_status: str
    sco_complete: bool
    lesson_complete: bool


def scorm_commit(
    *, enrolment_id: int, lesson: ScormLessonPage, item: ScormItem, session_key: str, payload
) -> CommitResult:
    """Store a commit of ``item`` in the attempt's runtime data (validated first: a
    ``cmi.CommitRejected`` stores nothing), complete the SCO and the lesson when it says so.

    The reported session time is kept as the content's own account (cmi.core.total_time);
    study time is credited only by the player's heartbeats, on the member's study clock.
    """
    commit = cmi.validate_commit(payload, suspend_data_limit=conf.scorm_suspend_data_limit())
    now = timezone.now()
    with transaction.atomic():
        state = (
            ScormState.objects.select_for_update(of=("self",))  # not the progress row: heartbeats
            .filter(
                progress__enrolment_id=enrolment_id,
                progress__lesson_id=lesson.pk,
                item_identifier=item.identifier,
            )
            .first()
        )
        if state is None or state.session_key != session_key:
            raise StaleSession
        state.lesson_status = commit.lesson_status
        state.lesson_location = commit.lesson_location
        state.score_raw, state.score_min, state.score_max = (
            commit.score_raw,
            commit.score_min,
            commit.score_max,
        )
        state.exit = commit.exit
        state.suspend_data = commit.suspend_data
        if commit.session_seconds is not None:
            # what the content says, bounded by the time since this launch (it is shown to
            # staff as the content's own account; it never credits the study clock)
            elapsed = (now - state.last_launched_at).total_seconds()
            state.session_seconds = int(max(0, min(commit.session_seconds, elapsed + 60)))
        state.data = {
            "comments": commit.comments,
            "student_preference": commit.student_preference,
            "objectives": commit.objectives,
            "interactions": commit.interactions,
        }
        sco_complete = cmi.is_complete(
            lesson_status=commit.lesson_status,
            score_raw=commit.score_raw,
            mastery_score=item.mastery_score,
        )
        if sco_complete and state.completed_at is None:
            state.completed_at = now
        state.commit_count += 1
        state.last_commit_at = now
        state.save()
    lesson_complete = False
    if state.completed_at is not None:
        enrolment = Enrolment.objects.select_related("member", "course").get(pk=enrolment_id)
        progress = scorm_lesson_try_complete(enrolment=enrolment, lesson=lesson)
        lesson_complete = progress.completed_at is not None
    return CommitResult(
        lesson_status=state.lesson_status,
        sco_complete=state.completed_at is not None,
        lesson_complete=lesson_complete,
    )


def scorm_lesson_try_complete(*, enrolment, lesson) -> LessonProgress:
    """Complete the lesson when every SCO and asset of its package is complete in this
    attempt (and the lesson's other evidence rules, such as a minimum study time, hold)."""
    progress, _status = course_services.lesson_try_complete(enrolment=enrolment, lesson=lesson)
    return progress


# --- the admin upload (check, then import in a task) ------------------------------------------

IMPORT_PROGRESS_SECONDS = 3600


def import_progress_key(import_id) -> str:
    return f"courses:scorm-import:{import_id}"


def scorm_upload_check(*, course, uploaded_file, title: str = "", user=None):
    """Step 1 of the admin upload: check the package and keep it for step 2. A refused
    package is not kept; its problems are. Nothing else is created."""
    import uuid

    from .models import ScormImport

    name = (getattr(uploaded_file, "name", "") or "package.zip").rsplit("/", 1)[-1]
    import_ = ScormImport(
        course=course,
        title=title.strip()[:255],
        original_filename=name[:255],
        size=getattr(uploaded_file, "size", 0) or 0,
        created_by=user,
    )
    try:
        checked = scorm_package_check(fileobj=uploaded_file, file_name=name)
    except p.PackageRefused as refused:
        import_.status = ScormImport.Status.REFUSED
        import_.problems = [problem.as_dict() for problem in refused.problems]
        import_.finished_at = timezone.now()
        import_.save()
        return import_
    import_.status = ScormImport.Status.CHECKED
    import_.summary = checked.summary()
    import_.problems = [warning.as_dict() for warning in checked.warnings]
    checked.archive.close()
    uploaded_file.seek(0)
    import_.file.save(f"{uuid.uuid4().hex}.zip", uploaded_file, save=False)
    import_.save()
    return import_


def scorm_upload_confirm(*, import_) -> bool:
    """Step 2: queue the import (once). False when it was not waiting to be imported."""
    from ..tasks import scorm_import_run
    from .models import ScormImport

    started = ScormImport.objects.filter(pk=import_.pk, status=ScormImport.Status.CHECKED).update(
        status=ScormImport.Status.IMPORTING
    )
    if started:
        pk = import_.pk
        transaction.on_commit(lambda: scorm_import_run.delay(pk))
    return bool(started)


def scorm_upload_import(*, import_id) -> None:
    """The task's work: create the lesson from the kept package, reporting progress in the
    cache. Idempotent: only an import in the "importing" state is run."""
    import logging

    from django.core.cache import cache

    from .models import ScormImport

    import_ = (
        ScormImport.objects.select_related("course", "created_by").filter(pk=import_id).first()
    )
    if import_ is None or import_.status != ScormImport.Status.IMPORTING or import_.lesson_id:
        return

    def progress(done, total):
        cache.set(
            import_progress_key(import_id), {"done": done, "total": total}, IMPORT_PROGRESS_SECONDS
        )

    try:
        with import_.file.open("rb") as handle:
            checked = scorm_package_check(fileobj=handle, file_name=import_.original_filename)
            lesson = scorm_lesson_create(
                course=import_.course,
                checked=checked,
                title=import_.title,
                user=import_.created_by,
                on_progress=progress,
            )
    except p.PackageRefused as refused:
        import_.status = ScormImport.Status.REFUSED
        import_.problems = [problem.as_dict() for problem in refused.problems]
    except Exception:
        logging.getLogger(__name__).exception("SCORM import %s failed", import_id)
        import_.status = ScormImport.Status.FAILED
    else:
        import_.status = ScormImport.Status.DONE
        import_.lesson = lesson
    import_.finished_at = timezone.now()
    import_.save(update_fields=["status", "problems", "lesson", "finished_at"])
    if import_.file:  # the package's files are in storage now (or it was refused)
        import_.file.delete(save=True)


# --- deleting --------------------------------------------------------------------------------


def _forget_package_files(sender, instance, **kwargs):
    """pre_delete of a ScormPackage: delete its stored files once the deletion is committed."""
    storage = package_storage()
    names = [
        instance.storage_prefix + path for path in instance.files.values_list("path", flat=True)
    ]

    def delete():
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete)


def connect_signals() -> None:
    from django.db.models.signals import pre_delete

    pre_delete.connect(
        _forget_package_files, sender=ScormPackage, dispatch_uid="courses_scorm_package_files"
    )
