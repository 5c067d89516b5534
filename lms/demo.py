"""Demo compliance data: the yearly campaign, onboarding, 業務別 requirements and electives of
the demo organisation, completions for about two thirds of its members, and their
post-course survey answers."""

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
    answered = _seed_survey_answers(course=main_course, rng=rng)
    stdout.write(f"  post-course survey: {answered} answers")
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


# seed 002 (全国労保連 FY2024): 89.7% of seminar attendees found it 有意義
SURVEY_SCORES = [5] * 52 + [4] * 38 + [3] * 7 + [2] * 2 + [1] * 1
SURVEY_COMMENTS = [
    "熱中症の初期症状がよく分かりました。",
    "動画があると分かりやすいです。",
    "現場で使える応急手当の手順をもっと知りたい。",
    "スマートフォンで受講できて助かります。",
    "",
    "",
    "",
]


def _seed_survey_answers(*, course, rng) -> int:
    """Answers of about 85% of the members who completed ``course`` this year (survey_submit
    keeps a second run from adding any)."""
    from courses.models import Enrolment
    from courses.survey import CHOICE, MEANINGFUL, TEXT, has_survey, survey_questions, survey_submit

    if not has_survey(course):
        return 0
    questions = survey_questions(course)
    enrolments = Enrolment.objects.filter(
        course=course, completed_at__year=2026, survey_response__isnull=True
    ).order_by("pk")
    for enrolment in enrolments:
        if rng.random() > 0.85:
            continue
        answers = {}
        for q in questions:
            if q["kind"] == MEANINGFUL:
                answers[q["id"]] = rng.choice(SURVEY_SCORES)
            elif q["kind"] == CHOICE:
                values = [v for v, _label in q["choices"]]
                picked = rng.sample(values, rng.randint(1, len(values) if q["multiple"] else 1))
                answers[q["id"]] = sorted(picked) if q["multiple"] else picked[0]
            elif q["kind"] == TEXT and (comment := rng.choice(SURVEY_COMMENTS)):
                answers[q["id"]] = comment
        survey_submit(enrolment=enrolment, answers=answers, questions=questions)
    return Enrolment.objects.filter(course=course, survey_response__isnull=False).count()
