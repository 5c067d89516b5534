"""Wagtail's log entries written before: no e-mail addresses or members' names in labels."""

from django.db import migrations


def scrub(apps, schema_editor):
    from django.contrib.contenttypes.models import ContentType

    from members.audit import personal_log_label

    ModelLogEntry = apps.get_model("wagtailcore", "ModelLogEntry")
    for entry in ModelLogEntry.objects.only("pk", "content_type_id", "object_id", "label"):
        try:
            content_type = ContentType.objects.get_for_id(entry.content_type_id)
        except ContentType.DoesNotExist:
            content_type = None
        label = personal_log_label(content_type, entry.object_id, entry.label)
        if label != entry.label:
            ModelLogEntry.objects.filter(pk=entry.pk).update(label=label)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_private_files_audit_log"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
