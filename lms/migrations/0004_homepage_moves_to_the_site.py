"""HomePage leaves the lms app: it belongs to the site that uses the apps, not to the apps.

State only, for the page: this project's site (training_site.0001, which runs first) has
already taken the table and its rows. On a site without it the table made by lms.0001 is
left unused; it is dropped here when it holds no rows, and made again if this is reversed.
"""

from django.db import migrations

TABLE = "lms_homepage"


def drop_unused_table(apps, schema_editor):
    if TABLE not in schema_editor.connection.introspection.table_names():
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {schema_editor.quote_name(TABLE)} LIMIT 1")
        if cursor.fetchone() is not None:
            return  # pages of an earlier install: kept, never lost
    schema_editor.delete_model(apps.get_model("lms", "HomePage"))


def recreate_table(apps, schema_editor):
    if TABLE not in schema_editor.connection.introspection.table_names():
        schema_editor.create_model(apps.get_model("lms", "HomePage"))


class Migration(migrations.Migration):

    dependencies = [
        ("lms", "0003_per_member_rows_out_of_reference_index"),
    ]

    operations = [
        migrations.RunPython(drop_unused_table, recreate_table),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="HomePage")]),
    ]
