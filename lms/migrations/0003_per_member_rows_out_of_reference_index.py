"""Per-member rows (enrolments, questions, members, suppressions, reminder deliveries) are no
longer kept in Wagtail's reference index (``wagtail_reference_index_ignore``): forget the rows
recorded for them before, so that the usage listings do not show stale references."""

from django.db import migrations

PER_MEMBER_MODELS = [
    ("courses", "enrolment"),
    ("courses", "question"),
    ("members", "member"),
    ("mailings", "suppression"),
    ("mailings", "reminderdelivery"),
]


def forget_per_member_references(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ReferenceIndex = apps.get_model("wagtailcore", "ReferenceIndex")
    for app_label, model in PER_MEMBER_MODELS:
        content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
        if content_type is not None:
            ReferenceIndex.objects.filter(content_type=content_type).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0078_referenceindex"),
        ("courses", "0001_initial"),
        ("lms", "0002_campaign_cycle_elective_requirement_exemption_and_more"),
        ("mailings", "0003_reminder_covered"),
        ("members", "0004_member_full_name_label"),
    ]

    operations = [
        migrations.RunPython(forget_per_member_references, migrations.RunPython.noop),
    ]
