"""Members' rights under the personal information protection act (個人情報保護法, APPI):
the disclosure file (開示) and the anonymisation of former members after the retention period.

Every app holds part of a member's record, and members imports none of the apps to its right
(courses, lms, mailings). They contribute through two Wagtail hooks registered in their own
``wagtail_hooks.py``:

``member_disclosure_sheets``
    ``fn(member) -> list[DisclosureSheet]``: the app's tables of the member's data (training,
    assignments, mail consent and deliveries), one sheet each in the disclosure workbook.
``member_anonymise``
    ``fn(member) -> None``: remove the app's copies of the member's personal data (names and
    addresses copied into sent mail, ...), keeping what the completion evidence must keep.
    Runs inside the anonymisation's transaction.

What anonymisation keeps: the member record itself (its id and member number), the membership
periods, enrolments with their completion dates, certificates with their numbers and dates,
assignments and campaign results. What it removes: name (「匿名化済み」 and the id), kana,
birth date, e-mail, phone, postcode, address, business name, the roster history's values, the
sign-in letters and the login account's name and address.
"""

from __future__ import annotations

import datetime
import io
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from wagtail import hooks

from .audit import AuditEvent, audit_log
from .models import Member, MemberChange, Organisation
from .xlsx import Col, add_table_sheet

logger = logging.getLogger(__name__)

DISCLOSURE_SHEETS_HOOK = "member_disclosure_sheets"
ANONYMISE_HOOK = "member_anonymise"

ANONYMISED_NAME = "匿名化済み"
# The roster fields that identify or reach a person; cleared by anonymisation.
PERSONAL_FIELDS = (
    "name",
    "name_kana",
    "birth_date",
    "email",
    "phone",
    "postcode",
    "address",
    "business_name",
    "withdrawal_reason",
)


@dataclass
class DisclosureSheet:
    """One table of the disclosure workbook: a title, columns (members.xlsx.Col) and rows."""

    title: str
    columns: list[Col]
    rows: list = field(default_factory=list)


# --- the disclosure file ---------------------------------------------------------------------


def _roster_sheet(member: Member) -> DisclosureSheet:
    names = [
        "member_no", "name", "name_kana", "birth_date", "gender", "prefecture", "email",
        "phone", "category", "work_type", "occupation", "postcode", "address", "business_name",
        "daily_base", "joined_on", "withdrawn_on", "withdrawal_reason", "created_at",
        "updated_at", "anonymised_at",
    ]  # fmt: skip
    rows = []
    for name in names:
        model_field = Member._meta.get_field(name)
        value = getattr(member, name)
        if model_field.choices and value:
            value = getattr(member, f"get_{name}_display")()
        rows.append([str(model_field.verbose_name), value])
    rows.insert(
        0, [str(Member._meta.get_field("organisation").verbose_name), str(member.organisation)]
    )
    return DisclosureSheet(
        title=_("Roster data"), columns=[Col(_("Item")), Col(_("Value"))], rows=rows
    )


def _periods_sheet(member: Member) -> DisclosureSheet:
    from .models import Membership

    meta = Membership._meta
    return DisclosureSheet(
        title=str(meta.verbose_name_plural),
        columns=[
            Col(str(meta.get_field("joined_on").verbose_name), "date"),
            Col(str(meta.get_field("withdrawn_on").verbose_name), "date"),
            Col(str(meta.get_field("category").verbose_name)),
        ],
        rows=[
            [period.joined_on, period.withdrawn_on, period.get_category_display()]
            for period in member.memberships.order_by("joined_on", "pk")
        ],
    )


def _changes_sheet(member: Member) -> DisclosureSheet:
    meta = MemberChange._meta
    rows = []
    for change in member.changes.order_by("created_at", "pk"):
        for field_name, (before, after) in (change.changes or {}).items():
            try:
                label = str(Member._meta.get_field(field_name).verbose_name)
            except Exception:  # noqa: BLE001  (a field since removed keeps its name)
                label = field_name
            rows.append([change.created_at, change.get_kind_display(), label, before, after])
        if not change.changes:
            rows.append([change.created_at, change.get_kind_display(), "", "", ""])
    return DisclosureSheet(
        title=_("Roster history"),
        columns=[
            Col(str(meta.get_field("created_at").verbose_name), "datetime"),
            Col(str(meta.get_field("kind").verbose_name)),
            Col(_("Item")),
            Col(_("Before")),
            Col(_("After")),
        ],
        rows=rows,
    )


def _requests_sheet(member: Member) -> DisclosureSheet:
    from .models import PersonalDataRequest

    meta = PersonalDataRequest._meta
    return DisclosureSheet(
        title=str(meta.verbose_name_plural),
        columns=[
            Col(str(meta.get_field("kind").verbose_name)),
            Col(str(meta.get_field("received_on").verbose_name), "date"),
            Col(str(meta.get_field("answered_on").verbose_name), "date"),
            Col(str(meta.get_field("status").verbose_name)),
            Col(str(meta.get_field("details").verbose_name)),
        ],
        rows=[
            [r.get_kind_display(), r.received_on, r.answered_on, r.get_status_display(), r.details]
            for r in member.personal_data_requests.order_by("received_on", "pk")
        ],
    )


def disclosure_sheets(member: Member) -> list[DisclosureSheet]:
    """The member's whole record: members' own tables, then every app's (hook order)."""
    sheets = [
        _roster_sheet(member),
        _periods_sheet(member),
        _changes_sheet(member),
        _requests_sheet(member),
    ]
    for contribute in hooks.get_hooks(DISCLOSURE_SHEETS_HOOK):
        sheets.extend(contribute(member) or [])
    return sheets


def disclosure_workbook(*, member: Member, user) -> bytes:
    """The disclosure file (開示ファイル) as XLSX bytes, built in memory and never stored;
    the audit log records who produced it."""
    book = Workbook(write_only=True)
    as_of = timezone.localtime()
    report = _("Disclosure of personal data: %(member)s") % {"member": member.member_no}
    used_titles = set()
    for sheet in disclosure_sheets(member):
        title = sheet.title[:28]
        while title in used_titles:
            title += "_"
        used_titles.add(title)
        add_table_sheet(
            book,
            title=title,
            heading=(member.organisation.name, report, as_of),
            columns=sheet.columns,
            rows=sheet.rows,
        )
    buffer = io.BytesIO()
    book.save(buffer)
    audit_log(
        user=user,
        action=AuditEvent.Action.DISCLOSURE,
        organisation=member.organisation_id,
        obj=member,
        detail=_("Disclosure file (%(count)s sheets)") % {"count": len(used_titles)},
    )
    return buffer.getvalue()


# --- anonymisation -----------------------------------------------------------------------------


def anonymised_name(member: Member) -> str:
    return f"{ANONYMISED_NAME} {member.pk}"


def member_anonymise(*, member: Member, now: datetime.datetime | None = None) -> bool:
    """Remove the member's personal data, keeping the completion evidence (see the module's
    docstring). Atomic; a member already anonymised is left as it is (returns False)."""
    now = now or timezone.now()
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.anonymised_at is not None:
            return False
        for name in PERSONAL_FIELDS:
            setattr(member, name, None if name == "birth_date" else "")
        member.name = anonymised_name(member)
        member.roster_fingerprint = ""
        member.anonymised_at = now
        member.save()
        for change in member.changes.all():
            change.changes = {
                name: ["", ""] if name in PERSONAL_FIELDS else values
                for name, values in (change.changes or {}).items()
            }
            change.save(update_fields=["changes"])
        member.signin_letters.all().delete()
        _login_account_anonymise(member)
        for anonymise in hooks.get_hooks(ANONYMISE_HOOK):
            anonymise(member)
        audit_log(
            user=None,
            action=AuditEvent.Action.ERASURE,
            organisation=member.organisation_id,
            obj=member,
            detail=_("Withdrawn on %(date)s; retention %(days)s days")
            % {"date": member.withdrawn_on, "days": member.organisation.anonymise_after_days},
        )
    return True


def _login_account_anonymise(member: Member) -> None:
    """The member's login account: emptied and closed, unless it still signs in another,
    not anonymised, member record (someone enrolled in two organisations)."""
    user = member.user
    if user is None:
        return
    if Member.objects.filter(user=user, anonymised_at__isnull=True).exclude(pk=member.pk).exists():
        return
    if not user.username.startswith("member-"):  # an address or a name: not kept
        user.username = f"anonymised-{member.pk}"
    user.email = ""
    user.first_name = user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=user).delete()


def withdrawn_members_due(*, today: datetime.date | None = None):
    """Former members whose retention period (their organisation's anonymise_after_days after
    withdrawal) is over and who are not anonymised yet, nor enrolled again."""
    today = today or timezone.localdate()
    due = Member.objects.none()
    for organisation in Organisation.objects.all():
        cutoff = today - datetime.timedelta(days=organisation.anonymise_after_days)
        due = due | Member.objects.filter(
            organisation=organisation,
            anonymised_at__isnull=True,
            withdrawn_on__isnull=False,
            withdrawn_on__lte=cutoff,
        ).inactive_on(today)
    return due.order_by("organisation_id", "pk")


def withdrawn_members_anonymise(*, today: datetime.date | None = None) -> int:
    """Anonymise every member due (the nightly task and ``manage.py anonymise_withdrawn``).
    Each member in its own transaction; running it twice changes nothing more."""
    count = 0
    for member in withdrawn_members_due(today=today):
        if member_anonymise(member=member):
            count += 1
    if count:
        logger.info("anonymised %s former members", count)
    return count
