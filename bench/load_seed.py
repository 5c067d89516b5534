"""The load members and URLs of bench/load.py, and the environment of the site under test
(both shared with bench/profile_endpoints.py).

Run as a script text after django.setup(): ``python -c "import django; django.setup()\n" + SEED N``.
Prints ``URLS={...}`` as its last line.
"""

import secrets
from pathlib import Path

PG = "postgres://postgres@127.0.0.1:5432"


def site_environment(*, db_name: str, redis_url: str, mail_dir: Path, root: Path) -> dict:
    """Production settings (bench/load_settings.py) on PostgreSQL and Redis, mail to files."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.load_settings",
        "DATABASE_URL": f"{PG}/{db_name}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_FILE_PATH": str(mail_dir),
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "ERROR",
        "REDIS_URL": redis_url,  # the cache (and so the sign-in rate limits) shared by all workers
        "PYTHONPATH": str(root),
    }


SEED = r"""
import datetime, io, json, sys
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
n = int(sys.argv[1])
call_command("seed_demo", force=True, stdout=io.StringIO())
from members.models import Member, Membership, Organisation
from members.constants import Category
org = Organisation.objects.order_by("pk").first()
existing = set(Member.objects.filter(organisation=org, member_no__startswith="L").values_list("member_no", flat=True))
joined = datetime.date(2025, 4, 1)
new = [Member(organisation=org, member_no=f"L{i:06d}", name=f"負荷　{i}", email=f"load{i}@example.jp",
              category=Category.SECOND_FREELANCE, joined_on=joined)
       for i in range(n) if f"L{i:06d}" not in existing]
Member.objects.bulk_create(new, batch_size=1000)
ids = Member.objects.filter(organisation=org, member_no__startswith="L").exclude(memberships__isnull=False)
Membership.objects.bulk_create([Membership(member=m, joined_on=joined, category=m.category) for m in ids], batch_size=1000)
try:
    from lms import services as lms_services
    refresh = getattr(lms_services, "assignments_refresh", None)
    if refresh:
        for organisation in Organisation.objects.all():
            refresh(organisation=organisation)
except Exception as exc:
    print("note: assignments refresh failed:", exc, file=sys.stderr)
urls = {}
try:
    urls["my"] = reverse("lms:my_training")
except NoReverseMatch:
    urls["my"] = None
try:
    from courses.models import CoursePage, LessonPage
    from django.db.models import Q
    course = CoursePage.objects.live().filter(Q(organisation__isnull=True) | Q(organisation=org)).order_by("path").first()
    lesson = LessonPage.objects.live().descendant_of(course).order_by("path").first() if course else None
    urls["lesson"] = lesson.url if lesson else None
    urls["heartbeat"] = reverse("courses:heartbeat", kwargs={"lesson_id": lesson.pk}) if lesson else None
except Exception as exc:
    urls["lesson"] = urls["heartbeat"] = None
    print("note: no lesson:", exc, file=sys.stderr)
print("URLS=" + json.dumps(urls))
"""
