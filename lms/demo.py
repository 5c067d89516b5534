"""Demo site: the home page as the Wagtail site root."""

from django.conf import settings
from wagtail.models import Locale, Page, Site

from .models import HomePage

HOME_INTRO = (
    "<p>労災保険の特別加入者のための安全衛生研修サイトです。"
    "毎年6月〜7月の「災害防止等に関する研修」や、業務別の研修、加入時のフォローアップを"
    "スマートフォンからいつでも受講できます。</p>"
)


def seed_site(*, stdout) -> HomePage:
    Locale.get_default() if Locale.objects.exists() else Locale.objects.create(
        language_code=settings.LANGUAGE_CODE
    )
    home = HomePage.objects.first()
    if home is None:
        # Wagtail's placeholder welcome page makes way for ours.
        Page.objects.filter(depth=2, content_type__model="page").delete()
        root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
        home = root.add_child(
            instance=HomePage(title="安全衛生研修", slug="home", intro=HOME_INTRO)
        )
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(is_default_site=True, hostname="localhost", port=80)
    site.root_page = home
    site.site_name = settings.WAGTAIL_SITE_NAME
    site.save()
    stdout.write(f"  home page: {home.title} (id {home.pk})")
    return home


MAIN_ORG_SLUG = "freelance-center"
SMALL_ORG_SLUG = "hokuto-kensetsu"
CAMPAIGN_SLUG = "saigai-boshi"
ONBOARDING_SLUG = "onboarding"

# 業務別研修: course slug (courses/demo.py) -> occupations of the demo roster it is for
BY_OCCUPATION = {
    "kensetsu": ["土木・建設・建築に付随する業務"],
    "haiso-unten": ["配送・運送"],
    "desk-work": [
        "技術者（開発・設計、土木・建設・建築を除く）",
        "著述・記者・編集・出版",
        "デザイナー",
        "通訳・翻訳",
        "プログラマー",
        "事務サポート",
        "コンサルタント",
    ],
}
# electives: offered, not required
ELECTIVES = {
    "kensetsu": ["管理人", "土木・建設・建築に付随する業務"],
    "haiso-unten": [],
    "desk-work": ["社労士", "講師・インストラクター", "調査・研究"],
}


def _course(slug, title_contains=""):
    """A demo course from courses/demo.py, by slug, else by title; None when absent."""
    from courses.models import CoursePage

    course = CoursePage.objects.filter(slug=slug).first()
    if course is None and title_contains:
        course = CoursePage.objects.filter(title__contains=title_contains).first()
    return course


def seed(*, stdout, **kwargs) -> None:
    """The 2026 「災害防止等に関する研修」 campaign, onboarding, 業務別 requirements and electives
    for the demo organisation; completions for about two thirds of members; the refresh."""
    import datetime
    import random

    from django.db import transaction

    from members.models import Member, Occupation, Organisation

    from .models import Campaign, Elective, Requirement
    from .services import assignments_refresh, cycles_ensure

    org = Organisation.objects.filter(slug=MAIN_ORG_SLUG).first()
    if org is None:
        stdout.write("  lms: no demo organisation; skipped")
        return
    main_course = _course("saigai-boshi", "災害防止")
    onboarding_course = _course("onboarding", "加入時")
    if main_course is None:
        stdout.write("  lms: the demo courses are missing (courses/demo.py); skipped")
        return
    with transaction.atomic():
        campaign, _ = Campaign.objects.update_or_create(
            organisation=org,
            slug=CAMPAIGN_SLUG,
            defaults={
                "name": "災害防止等に関する研修",
                "description": "全加入者が毎年6月1日〜7月31日に受講する安全衛生研修です。",
                "kind": Campaign.Kind.WINDOW,
                "recurrence": "FREQ=YEARLY",
                "first_opens_on": datetime.date(2026, 6, 1),
                "first_due_on": datetime.date(2026, 7, 31),
                "days_after_joining": 30,
            },
        )
        cycles_ensure(campaign=campaign)
        _requirement(
            campaign, "災害防止等に関する研修（全加入者）", [main_course], rules=[], order=0
        )
        for order, (slug, occupations) in enumerate(BY_OCCUPATION.items(), start=1):
            course = _course(slug)
            if course is None:
                continue
            _requirement(
                campaign,
                f"業務別の災害防止研修：{course.title.split('：')[-1]}",
                [course],
                rules=[Occupation.objects.filter(organisation=org, name__in=occupations)],
                order=order,
            )
        if onboarding_course is not None:
            onboarding, _ = Campaign.objects.update_or_create(
                organisation=org,
                slug=ONBOARDING_SLUG,
                defaults={
                    "name": "加入時のフォローアップ",
                    "description": "加入から30日以内に受講するオリエンテーションです。",
                    "kind": Campaign.Kind.ROLLING,
                    "recurrence": "FREQ=YEARLY",
                    "first_opens_on": datetime.date(2024, 4, 1),
                    "first_due_on": datetime.date(2025, 3, 31),
                    "days_after_joining": 30,
                },
            )
            cycles_ensure(campaign=onboarding)
            _requirement(
                onboarding, "加入時オリエンテーション", [onboarding_course], rules=[], order=0
            )
        for order, (slug, occupations) in enumerate(ELECTIVES.items()):
            course = _course(slug)
            if course is None:
                continue
            elective, _ = Elective.objects.update_or_create(
                organisation=org, course=course, defaults={"sort_order": order}
            )
            elective.occupations.set(
                Occupation.objects.filter(organisation=org, name__in=occupations)
            )
    assignments_refresh(organisation=org)
    # two thirds completed the 2026 training: most on time, some at a seminar, a few late
    from courses.models import Enrolment
    from courses.services import enrolment_record_external

    rng = random.Random(2026)
    members = list(
        Member.objects.filter(organisation=org, assignments__cycle__campaign=campaign)
        .distinct()
        .order_by("member_no")
    )
    done = set(
        Enrolment.objects.filter(course=main_course, completed_at__isnull=False).values_list(
            "member_id", flat=True
        )
    )
    for member in members:
        if member.pk in done or member.email == "demo.member@example.jp":
            continue
        roll = rng.random()
        if roll > 0.68:
            continue
        day = datetime.date(2026, 6, 1) + datetime.timedelta(days=int(rng.triangular(0, 60, 50)))
        if roll > 0.64:
            day = datetime.date(2026, 8, 1) + datetime.timedelta(days=rng.randint(0, 20))
        source = Enrolment.Source.SEMINAR if roll < 0.15 else Enrolment.Source.PAPER
        enrolment_record_external(
            member=member, course=main_course, source=source, completed_on=day,
            evidence_note="デモデータ",
        )  # fmt: skip
    result = assignments_refresh(organisation=org)
    stdout.write(
        f"  campaigns: {Campaign.objects.filter(organisation=org).count()}, requirements: "
        f"{Requirement.objects.filter(campaign__organisation=org).count()}, assignments refreshed "
        f"({result.upserted} written)"
    )


def _requirement(campaign, name, courses, *, rules, order):
    from .models import AudienceRule, Requirement

    requirement, _ = Requirement.objects.update_or_create(
        campaign=campaign, name=name, defaults={"sort_order": order}
    )
    requirement.courses.set(courses)
    requirement.save()
    if not requirement.rules.exists() and rules:
        for occupations in rules:
            rule = AudienceRule.objects.create(requirement=requirement)
            rule.occupations.set(list(occupations))
            rule.save()
    return requirement
