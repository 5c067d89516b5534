"""python manage.py import_scorm PATH --course SLUG [--title TEXT] [--dry-run] [--format json]

Creates and publishes a SCORM 1.2 lesson at the end of the course's lessons, from a package
(a zip with imsmanifest.xml at its top level). Exit status as import_roster: 0 when the
package was imported (or checked and found acceptable, with --dry-run), 1 when it was refused
(nothing changed), 2 on usage errors. Messages are in Japanese, or English when the LANGUAGE
environment variable says so (LANGUAGE=en).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from courses.models import CoursePage
from courses.scorm import problems as p
from courses.scorm.services import scorm_lesson_create, scorm_package_check
from members.management.commands.import_roster import command_language, usage_error


class Command(BaseCommand):
    help = "Import a SCORM 1.2 package (.zip) as a new lesson of a course."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the package (.zip)")
        parser.add_argument("--course", required=True, help="the course page's slug")
        parser.add_argument("--title", default="", help="lesson title (default: the package's)")
        parser.add_argument("--dry-run", action="store_true", help="check and report only")
        parser.add_argument("--format", default="text", choices=["text", "json"])

    def handle(self, *args, **options):
        with translation.override(command_language()):
            return self._handle(**options)

    def _handle(self, *, path, course, title, dry_run, format, **options):
        file = Path(path)
        if not file.is_file():
            raise usage_error(_("No such file: %(path)s") % {"path": path})
        courses = list(CoursePage.objects.filter(slug=course))
        if not courses:
            raise usage_error(_("No course with slug %(slug)s.") % {"slug": course})
        if len(courses) > 1:
            raise usage_error(
                _("%(count)s courses have the slug %(slug)s; rename one of them.")
                % {"count": len(courses), "slug": course}
            )
        with file.open("rb") as handle:
            try:
                checked = scorm_package_check(fileobj=handle, file_name=file.name)
            except p.PackageRefused as refused:
                self._report(file, format, errors=refused.problems)
                raise CommandError(
                    _("The package was refused: nothing was changed.")
                    if format == "text"
                    else "refused",
                    returncode=1,
                )
            if dry_run:
                self._report(file, format, checked=checked, dry_run=True)
                checked.archive.close()
                return
            try:
                lesson = scorm_lesson_create(course=courses[0], checked=checked, title=title)
            except p.PackageRefused as refused:
                self._report(file, format, errors=refused.problems)
                raise CommandError(
                    _("The package was refused: nothing was changed.")
                    if format == "text"
                    else "refused",
                    returncode=1,
                )
        self._report(file, format, checked=checked, lesson=lesson)

    def _report(self, file, format, *, checked=None, errors=(), lesson=None, dry_run=False):
        warnings = checked.warnings if checked else []
        if format == "json":
            data = {
                "file": file.name,
                "accepted": checked is not None,
                "dry_run": dry_run,
                "errors": [{**e.as_dict(), "message": e.message(file.name)} for e in errors],
                "warnings": [{**w.as_dict(), "message": w.message(file.name)} for w in warnings],
                "package": checked.summary() if checked else None,
                "lesson": {"id": lesson.pk, "title": lesson.title, "url": lesson.url}
                if lesson
                else None,
            }
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for error in errors:
            self.stderr.write(_("ERROR") + " " + error.message(file.name))
        if checked is None:
            return
        summary = checked.summary()
        self.stdout.write(
            _("%(file)s: SCORM %(version)s, “%(title)s”, %(files)s files")
            % {
                "file": file.name,
                "version": summary["version"],
                "title": summary["title"],
                "files": summary["files"],
            }
        )
        for item in summary["items"]:
            indent = "  " * item["depth"]
            launch = f" -> {item['launch']}" if item["launch"] else ""
            mastery = (
                " " + _("(mastery score %(score)s)") % {"score": item["mastery_score"]}
                if item["mastery_score"]
                else ""
            )
            self.stdout.write(f"{indent}{item['title']}{launch}{mastery}")
        for warning in warnings:
            self.stdout.write(_("WARNING") + " " + warning.message(file.name))
        if dry_run:
            self.stdout.write(_("Dry run: nothing was changed."))
        elif lesson is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Created the lesson “%(title)s” (page %(id)s): %(url)s")
                    % {"title": lesson.title, "id": lesson.pk, "url": lesson.url}
                )
            )
