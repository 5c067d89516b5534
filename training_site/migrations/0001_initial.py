"""HomePage moves here from the lms app, keeping its rows.

The table ``lms_homepage`` (created by lms.0001) is renamed to ``training_site_homepage`` and
the content type ``lms.homepage`` is relabelled, so existing pages, their revisions and the
permissions given on them stay as they are. lms.0004 then drops HomePage from lms's state;
it runs after this one (``run_before``) so that it finds the table already moved.
"""

import django.db.models.deletion
import wagtail.fields
from django.conf import settings
from django.db import migrations, models

OLD_TABLE, NEW_TABLE = "lms_homepage", "training_site_homepage"


def adopt_lms_homepage(apps, schema_editor):
    tables = schema_editor.connection.introspection.table_names()
    model = apps.get_model("training_site", "HomePage")
    if NEW_TABLE in tables:
        pass
    elif OLD_TABLE in tables:
        schema_editor.alter_db_table(model, OLD_TABLE, NEW_TABLE)
    else:
        schema_editor.create_model(model)
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="training_site", model="homepage").exists():
        ContentType.objects.using(db).filter(app_label="lms", model="homepage").update(
            app_label="training_site"
        )


def return_homepage_to_lms(apps, schema_editor):
    tables = schema_editor.connection.introspection.table_names()
    model = apps.get_model("training_site", "HomePage")
    if OLD_TABLE in tables:
        # re-created empty by lms.0004's reverse; ours has the rows
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {schema_editor.quote_name(OLD_TABLE)} LIMIT 1")
            if cursor.fetchone() is None:
                schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(OLD_TABLE)}")
            else:
                raise RuntimeError(f"both {OLD_TABLE} and {NEW_TABLE} hold home pages")
    schema_editor.alter_db_table(model, NEW_TABLE, OLD_TABLE)
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    ContentType.objects.using(db).filter(app_label="training_site", model="homepage").update(
        app_label="lms"
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("wagtailcore", "0098_apitoken"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("lms", "0003_per_member_rows_out_of_reference_index"),
    ]
    run_before = [("lms", "0004_homepage_moves_to_the_site")]

    operations = [
        # the model first (state only), then its table and content type taken over from lms
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HomePage",
                    fields=[
                        ("page_ptr", models.OneToOneField(auto_created=True, on_delete=django.db.models.deletion.CASCADE, parent_link=True, primary_key=True, serialize=False, to=settings.WAGTAIL_PAGE_MODEL)),
                        ("intro", wagtail.fields.RichTextField(blank=True, verbose_name="introduction")),
                        ("body", wagtail.fields.StreamField([("heading", 0), ("text", 1)], blank=True, block_lookup={0: ("courses.blocks.HeadingBlock", (), {}), 1: ("courses.blocks.RichTextBlock", (), {})}, verbose_name="body")),
                    ],
                    options={"verbose_name": "home page"},
                    bases=("wagtailcore.page",),
                ),
            ],
        ),
        migrations.RunPython(adopt_lms_homepage, return_homepage_to_lms),
    ]
