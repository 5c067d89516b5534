"""Builders for the compliance app: courses to require, campaigns, cycles, requirements."""

import datetime
import itertools

from django.utils import timezone

_seq = itertools.count(1)


def make_course_index():
    from wagtail.models import Page

    from courses.models import CourseIndexPage

    index = CourseIndexPage.objects.first()
    if index is None:
        parent = Page.objects.filter(depth=2).first() or Page.get_first_root_node()
        index = parent.add_child(instance=CourseIndexPage(title="研修一覧", slug="courses"))
    return index


def make_course(*, title=None, slug=None, organisation=None, live=True, **fields):
    from courses.models import CoursePage

    n = next(_seq)
    fields.setdefault("issues_certificate", False)
    course = CoursePage(
        title=title or f"研修コース{n}",
        slug=slug or f"course-{n}",
        organisation=organisation,
        live=live,
        **fields,
    )
    make_course_index().add_child(instance=course)
    return course


def make_campaign(
    *,
    organisation,
    name="災害防止等に関する研修",
    slug=None,
    kind="window",
    recurrence="FREQ=YEARLY",
    opens_on=datetime.date(2026, 6, 1),
    due_on=datetime.date(2026, 7, 31),
    days_after_joining=30,
    cycles=True,
    today=None,
):
    from lms.models import Campaign
    from lms.services import cycles_ensure

    campaign = Campaign.objects.create(
        organisation=organisation,
        name=name,
        slug=slug or f"campaign-{next(_seq)}",
        kind=kind,
        recurrence=recurrence,
        first_opens_on=opens_on,
        first_due_on=due_on,
        days_after_joining=days_after_joining,
    )
    if cycles:
        cycles_ensure(campaign=campaign, today=today or max(opens_on, timezone.localdate()))
    return campaign


def make_requirement(*, campaign, courses=(), name=None, rules=(), completion_rule="any"):
    """``rules``: dicts with categories, work_types (list), occupations (Occupation list),
    prefectures."""
    from lms.models import AudienceRule, Requirement

    requirement = Requirement.objects.create(
        campaign=campaign, name=name or campaign.name, completion_rule=completion_rule
    )
    requirement.courses.set(courses)
    requirement.save()  # a ParentalManyToManyField is written on save
    for spec in rules:
        rule = AudienceRule.objects.create(
            requirement=requirement,
            categories=list(spec.get("categories", [])),
            work_types="\n".join(spec.get("work_types", [])),
            prefectures=list(spec.get("prefectures", [])),
        )
        rule.occupations.set(spec.get("occupations", []))
        rule.save()
    return requirement


def complete_course(*, member, course, on, source="seminar"):
    """Record a completion the way staff do for a seminar (courses' own service)."""
    from courses.services import enrolment_record_external

    enrolment, _created = enrolment_record_external(
        member=member, course=course, source=source, completed_on=on
    )
    return enrolment


def member_withdraws(*, member, on):
    from members.models import Membership

    Membership.objects.filter(member=member, withdrawn_on__isnull=True).update(withdrawn_on=on)
    member.withdrawn_on = on
    member.save(update_fields=["withdrawn_on"])


def member_joins(*, member, on, category=None):
    from members.models import Membership

    Membership.objects.create(member=member, joined_on=on, category=category or member.category)
    member.withdrawn_on = None
    member.save(update_fields=["withdrawn_on"])
