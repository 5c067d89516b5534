"""Files with personal data: private storage, random names, the permission-checked download,
retention, and the move of files stored before."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.views.static import serve

from members.audit import AuditEvent
from members.models import RosterImport
from members.storage import (
    PrivateUploadTo,
    move_to_private_storage,
    private_file_url,
    private_files_purge,
    private_storage,
)
from tests.factories import make_staff
from tests.factories.members import roster_fixture

pytestmark = pytest.mark.django_db
ROSTER = roster_fixture("month_05.csv").read_bytes()


def upload_roster(client, organisation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("rosterimport:add"),
            {
                "organisation": organisation.pk,
                "file": SimpleUploadedFile("month_05.csv", ROSTER, content_type="text/csv"),
                "encoding": "auto",
                "as_of": "2026-05-10",
            },
        )
    assert response.status_code == 302
    return RosterImport.objects.get()


def test_an_uploaded_roster_is_not_served_from_the_media_folder(
    client, organisation, other_organisation, django_capture_on_commit_callbacks
):
    staff_a = make_staff(username="staff-a", organisations=[organisation])
    staff_b = make_staff(username="staff-b", organisations=[other_organisation])
    client.force_login(staff_a)
    import_ = upload_roster(client, organisation, django_capture_on_commit_callbacks)
    stored = import_.file.name
    # what nginx (or `static()` under DEBUG) serves at MEDIA_URL: the media folder, anonymously
    request = RequestFactory().get(settings.MEDIA_URL + stored)
    with pytest.raises(Http404):
        serve(request, path=stored, document_root=settings.MEDIA_ROOT)
    assert not (Path(settings.MEDIA_ROOT) / stored).exists()
    # a random name: neither the file name nor the month of upload
    assert "month_05" not in stored and stored.startswith(f"roster_imports/{organisation.pk}/")
    assert private_storage().open(stored).read() == ROSTER

    url = private_file_url(import_)
    client.logout()
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    client.force_login(staff_b)
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()

    client.force_login(staff_a)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == ROSTER
    assert 'filename="month_05.csv"' in response["Content-Disposition"]
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert (event.user, event.organisation, event.object_id) == (
        staff_a,
        organisation,
        str(import_.pk),
    )
    # the import page links to the download
    page = client.get(reverse("rosterimport:inspect", args=[import_.pk])).content.decode()
    assert url in page


def test_files_are_deleted_after_the_retention_period(organisation):
    now = timezone.now()

    def stored(days_ago, status, finished=True):
        import_ = RosterImport.objects.create(
            organisation=organisation, file_name="r.csv", checksum="x", status=status
        )
        import_.file.save("r.csv", ContentFile(b"roster"), save=False)
        import_.finished_at = now - datetime.timedelta(days=days_ago) if finished else None
        import_.save()
        return import_

    old_applied = stored(91, RosterImport.Status.APPLIED)
    old_cancelled = stored(120, RosterImport.Status.CANCELLED)
    recent = stored(89, RosterImport.Status.APPLIED)
    waiting = stored(0, RosterImport.Status.PREVIEWED, finished=False)
    old_names = [old_applied.file.name, old_cancelled.file.name]

    assert private_files_purge(now=now) == 2
    for import_ in (old_applied, old_cancelled):
        import_.refresh_from_db()
        assert import_.file.name == "" and import_.file_name == "r.csv"  # the record stays
    assert not any(private_storage().exists(name) for name in old_names)
    for import_ in (recent, waiting):
        import_.refresh_from_db()
        assert private_storage().exists(import_.file.name)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FILE_DELETED).count() == 2
    # the retention is a setting
    assert private_files_purge(now=now, days=30) == 1


def test_the_purge_is_a_daily_task():
    from members.beat import beat_schedule

    tasks = {entry["task"] for entry in beat_schedule().values()}
    assert "members.tasks.private_files_purge_task" in tasks
    assert "members.tasks.audit_log_purge_task" in tasks


def test_files_stored_before_move_to_private_storage(organisation):
    public_name = default_storage.save(
        f"roster_imports/{organisation.pk}/2026/05/田中名簿.csv", ContentFile(ROSTER)
    )
    import_ = RosterImport.objects.create(
        organisation=organisation, file_name="田中名簿.csv", checksum="x"
    )
    RosterImport.objects.filter(pk=import_.pk).update(file=public_name)
    missing = RosterImport.objects.create(organisation=organisation, file_name="gone.csv")
    RosterImport.objects.filter(pk=missing.pk).update(file="roster_imports/1/gone.csv")

    assert move_to_private_storage(RosterImport, upload_to=PrivateUploadTo("roster_imports")) == 1
    import_.refresh_from_db()
    assert not default_storage.exists(public_name)
    assert "田中" not in import_.file.name
    assert private_storage().open(import_.file.name).read() == ROSTER
    missing.refresh_from_db()
    assert missing.file.name == ""
    # running it again changes nothing
    assert move_to_private_storage(RosterImport, upload_to=PrivateUploadTo("roster_imports")) == 0


def test_private_files_have_no_public_url(organisation):
    import_ = RosterImport.objects.create(organisation=organisation, file_name="r.csv")
    import_.file.save("r.csv", ContentFile(b"x"))
    with pytest.raises(ValueError):
        import_.file.url  # noqa: B018
