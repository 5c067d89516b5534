# Run inside a fresh `wagtail start` site that installed the wheel (tests/test_plugin_install.py):
# a roster import, a course and a lesson rendered, and a member signed in with a mailed code.
# Prints one JSON line of facts for the test to check.
import io
import json
import re

from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
from wagtail.models import Site

from courses.models import CourseIndexPage, CoursePage, LessonPage
from members.models import Organisation

setup_test_environment()  # mail to mail.outbox, "testserver" allowed
facts = {}

organisation = Organisation.objects.create(name="東京一人親方組合", slug="tokyo")
call_command("import_roster", "@ROSTER@", organisation="tokyo", stdout=io.StringIO())
facts["imported"] = organisation.members.count()

home = Site.objects.get(is_default_site=True).root_page
index = home.add_child(instance=CourseIndexPage(title="研修一覧", slug="kenshu"))
index.save_revision().publish()
course = index.add_child(
    instance=CoursePage(
        title="墜落・転落災害の防止", slug="tsuiraku", summary="毎年受講する研修です。"
    )
)
course.save_revision().publish()
lesson = course.add_child(
    instance=LessonPage(
        title="脚立の正しい使い方",
        slug="kyatatsu",
        body=[("text", "<p>脚立の天板に乗ってはいけません。</p>")],
        min_study_seconds=0,
    )
)
lesson.save_revision().publish()

# the member signs in with the code mailed to the roster address, then studies
client = Client()
member = organisation.members.exclude(email="").first()
client.post("/accounts/login/code/", {"email": member.email})
facts["code_mail_subject"] = mail.outbox[-1].subject if mail.outbox else ""
code = re.search(r"^\s*([0-9A-Z]{6})\s*$", mail.outbox[-1].body, re.M).group(1)
client.post("/accounts/login/code/confirm/", {"code": code})
facts["signed_in"] = "_auth_user_id" in client.session
facts["my_training"] = client.get("/my/").status_code

for key, page in (("course", course), ("lesson", lesson)):
    page.refresh_from_db()
    response = client.get(page.url)
    facts[key] = response.content.decode()
    facts[f"{key}_status"] = response.status_code
    facts[f"{key}_title"] = page.title
print(json.dumps(facts, ensure_ascii=False))
