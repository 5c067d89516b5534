"""Wagtail's default workflow and its task are created with English names built from the
group name ("Moderators approval"); staff screens show them, so they get Japanese names. Only
the untouched defaults are renamed: a name an administrator chose stays."""

from django.db import migrations

NAMES = {"Moderators approval": "管理者の承認"}


def japanese_names(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    for english, japanese in NAMES.items():
        Workflow.objects.filter(name=english).update(name=japanese)
        Task.objects.filter(name=english).update(name=japanese)


def english_names(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    for english, japanese in NAMES.items():
        Workflow.objects.filter(name=japanese).update(name=english)
        Task.objects.filter(name=japanese).update(name=english)


class Migration(migrations.Migration):
    dependencies = [
        ("training_site", "0001_initial"),
        ("wagtailcore", "0048_add_default_workflows"),
    ]

    operations = [migrations.RunPython(japanese_names, english_names)]
