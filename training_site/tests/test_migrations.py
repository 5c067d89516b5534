"""HomePage moved from lms to training_site: a database made before the move keeps its home
page (same row, same content type, same revisions) and the site still serves it."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BEFORE_THE_MOVE = textwrap.dedent(
    """
    import django, json
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    call_command("migrate", "lms", "0003", verbosity=0)  # the apps as they were before the move
    executor = MigrationExecutor(connection)
    old = executor.loader.project_state(("lms", "0003_per_member_rows_out_of_reference_index")).apps
    ContentType = old.get_model("contenttypes", "ContentType")
    Page = old.get_model("wagtailcore", "Page")
    Locale = old.get_model("wagtailcore", "Locale")
    content_type, _ = ContentType.objects.get_or_create(app_label="lms", model="homepage")
    root = Page.objects.get(depth=1)
    home = old.get_model("lms", "HomePage").objects.create(
        title="安全衛生研修", draft_title="安全衛生研修", slug="anzen", content_type=content_type,
        path=root.path + "0099", depth=2, url_path="/anzen/", live=True,
        locale=Locale.objects.first(), intro="<p>移行前のホーム</p>",
    )
    Page.objects.filter(pk=root.pk).update(numchild=root.numchild + 1)
    print(json.dumps({"page": home.pk, "content_type": content_type.pk}))
    """
)

AFTER_THE_MOVE = textwrap.dedent(
    """
    import django, json
    django.setup()
    from django.core.management import call_command
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    call_command("migrate", verbosity=0)
    from wagtail.models import Page, Site
    from training_site.models import HomePage

    page = Page.objects.get(slug="anzen").specific
    Site.objects.update(root_page=page)
    from django.test import Client
    response = Client(HTTP_HOST="localhost").get("/")
    print(json.dumps({
        "page": page.pk,
        "class": type(page).__name__ + "@" + page._meta.app_label,
        "intro": page.intro,
        "content_type": page.content_type_id,
        "homepage_types": sorted(ContentType.objects.filter(model="homepage").values_list("app_label", flat=True)),
        "tables": sorted(t for t in connection.introspection.table_names() if "homepage" in t),
        "status": response.status_code,
        "served": "移行前のホーム" in response.content.decode(),
    }))
    """
)


def _run(script, database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    env.update(DJANGO_SETTINGS_MODULE="training_site.settings.test", DATABASE_URL=database_url)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_home_page_made_before_the_move_survives_it(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'before-the-move.sqlite3'}"
    before = _run(BEFORE_THE_MOVE, database_url)
    after = _run(AFTER_THE_MOVE, database_url)

    assert after["page"] == before["page"]
    assert after["class"] == "HomePage@training_site"
    assert after["intro"] == "<p>移行前のホーム</p>"
    # the content type was relabelled, not made anew: pages and revisions still point at it
    assert after["content_type"] == before["content_type"]
    assert after["homepage_types"] == ["training_site"]
    assert after["tables"] == ["training_site_homepage"]
    assert (after["status"], after["served"]) == (200, True)
