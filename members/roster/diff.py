"""Compare validated rows with the organisation's current roster and plan the writes.

Reads only, in a fixed number of queries per batch of rows: the member numbers and
fingerprints of the whole roster in one query, then the full records and membership periods
of the members whose rows changed, a batch at a time.

Membership periods are history: a category change or a rejoin after withdrawal closes one
period and opens another; nothing is ever deleted. ``withdrawn_on`` is the first day no
longer covered (脱退日 / 資格喪失日).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict

from ..models import Member, Membership
from ..querysets import period_covers
from . import normalise as N
from .report import Issue
from .validation import Known, Row, Validated

MEMBER_FIELDS = [f for f in N.FIELDS if f != "member_no"]


@dataclasses.dataclass
class Period:
    id: int | None
    member_id: int | None
    joined_on: datetime.date
    withdrawn_on: datetime.date | None
    category: str


@dataclasses.dataclass
class Change:
    """One member's change: what the history (MemberChange) and the preview show."""

    kind: str  # added, changed, withdrawn, rejoined
    line: int | None
    member_no: str
    name: str
    changes: dict  # field -> [before, after]
    values: dict | None = None  # an added member's values as read, for the preview


@dataclasses.dataclass
class Plan:
    creates: list[Row] = dataclasses.field(default_factory=list)
    # member id -> (all new values, fingerprint) of members whose rows changed
    updates: dict[int, tuple[dict, str]] = dataclasses.field(default_factory=dict)
    missing_withdrawn: list[int] = dataclasses.field(default_factory=list)  # member ids
    update_fields: set[str] = dataclasses.field(default_factory=set)
    fingerprints: dict[int, str] = dataclasses.field(default_factory=dict)  # unchanged rows
    period_updates: list[Period] = dataclasses.field(default_factory=list)
    period_creates: list[Period] = dataclasses.field(default_factory=list)
    changes: dict[int | str, Change] = dataclasses.field(default_factory=dict)  # id or no
    missing: list[dict] = dataclasses.field(default_factory=list)
    errors: list[Issue] = dataclasses.field(default_factory=list)
    counts: dict[str, int] = dataclasses.field(default_factory=lambda: defaultdict(int))


def load_known(organisation) -> dict[str, Known]:
    """Member number -> (fingerprint, e-mail, occupation) for the whole roster: one query."""
    rows = Member.objects.filter(organisation=organisation).values_list(
        "member_no", "roster_fingerprint", "email", "occupation"
    )
    return {
        no: Known(fp, email, occupation)
        for no, fp, email, occupation in rows.iterator(chunk_size=10000)
    }


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan_changes(
    organisation,
    validated: Validated,
    *,
    as_of: datetime.date,
    withdraw_missing: bool,
    batch_size: int,
    known: dict[str, Known],
) -> Plan:
    plan = Plan()
    plan.counts["unchanged"] = len(validated.unchanged)
    existing_rows = [r for r in validated.rows if r.values["member_no"] in known]
    for row in validated.rows:
        if row.values["member_no"] not in known:
            plan.creates.append(row)
            plan.counts["added"] += 1
            plan.changes[row.values["member_no"]] = Change(
                "added", row.line, row.values["member_no"], row.values["name"], {}, row.values
            )

    for batch in _chunks(existing_rows, batch_size):
        numbers = [r.values["member_no"] for r in batch]
        members = {
            m["member_no"]: m
            for m in Member.objects.filter(organisation=organisation, member_no__in=numbers).values(
                "id", "member_no", "roster_fingerprint", *MEMBER_FIELDS
            )
        }
        periods = defaultdict(list)
        for p in Membership.objects.filter(
            member_id__in=[m["id"] for m in members.values()]
        ).values("id", "member_id", "joined_on", "withdrawn_on", "category"):
            periods[p["member_id"]].append(Period(**p))
        for row in batch:
            member = members[row.values["member_no"]]
            history = sorted(periods[member["id"]], key=lambda p: (p.joined_on, p.id))
            _plan_member(plan, row, member, history, as_of=as_of)

    missing_candidates = [no for no in known if no not in validated.member_nos]
    for batch in _chunks(missing_candidates, batch_size):
        active = (
            Membership.objects.filter(
                member__organisation=organisation, member__member_no__in=batch
            )
            .filter(period_covers(as_of))
            .values(
                "id",
                "member_id",
                "joined_on",
                "withdrawn_on",
                "category",
                "member__member_no",
                "member__name",
                "member__withdrawn_on",
            )
            .order_by("member__member_no")
        )
        for p in active:
            plan.missing.append({"member_no": p["member__member_no"], "name": p["member__name"]})
            plan.counts["missing"] += 1
            if withdraw_missing:
                plan.period_updates.append(
                    Period(p["id"], p["member_id"], p["joined_on"], as_of, p["category"])
                )
                plan.missing_withdrawn.append(p["member_id"])
                plan.counts["withdrawn"] += 1
                plan.changes[p["member_id"]] = Change(
                    "withdrawn",
                    None,
                    p["member__member_no"],
                    p["member__name"],
                    {"withdrawn_on": [_json(p["member__withdrawn_on"]), as_of.isoformat()]},
                )
    plan.missing.sort(key=lambda m: m["member_no"])
    return plan


def _json(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


class _MemberPlanner:
    """One existing member's row against their membership history: the period writes and the
    kind of change (None: unchanged), or an overlap error."""

    def __init__(self, plan: Plan, row: Row, member_id: int, history: list[Period], *, as_of):
        self.plan, self.row, self.member_id, self.history = plan, row, member_id, history
        self.as_of = as_of
        values = row.values
        self.joined_on, self.withdrawn_on = values["joined_on"], values["withdrawn_on"]
        self.category = values["category"]
        self.latest = history[-1] if history else None

    def overlap(self, previous: Period) -> str:
        self.plan.errors.append(
            Issue(
                "period_overlap",
                line=self.row.line,
                field="joined_on",
                value=self.joined_on.isoformat(),
                params={
                    "period": f"{previous.joined_on} – {previous.withdrawn_on or ''}",
                    "withdrawn_on": _json(previous.withdrawn_on) or "",
                },
            )
        )
        return OVERLAP

    def correct(self, period: Period, **fields) -> None:
        self.plan.period_updates.append(dataclasses.replace(period, **fields))

    def close(self, period: Period, on: datetime.date) -> None:
        self.correct(period, withdrawn_on=on)

    def open(self, start, end, category) -> None:
        self.plan.period_creates.append(Period(None, self.member_id, start, end, category))

    def kind(self, fields_changed: bool) -> str | None:
        if self.latest is None:  # a member without any period (not made by an import)
            self.open(self.joined_on, self.withdrawn_on, self.category)
            return "changed"
        if self.latest.withdrawn_on is None:
            return self.while_enrolled(fields_changed)
        return self.while_withdrawn(fields_changed)

    def while_enrolled(self, fields_changed: bool) -> str | None:
        latest, joined_on, category = self.latest, self.joined_on, self.category
        if self.withdrawn_on:
            return self.withdrawal()
        if category != latest.category:
            # the new category starts on the file's joining date if later, else the roster date
            start = joined_on if joined_on > latest.joined_on else max(self.as_of, latest.joined_on)
            if start == latest.joined_on:
                self.correct(latest, category=category)
            else:
                self.close(latest, start)
                self.open(start, None, category)
            return "changed"
        if joined_on != latest.joined_on:
            if not _can_move_start(self.history, joined_on):
                return self.overlap(self.history[-2])
            self.correct(latest, joined_on=joined_on)
            return "changed"
        return "changed" if fields_changed else None

    def withdrawal(self) -> str:
        latest, joined_on, withdrawn_on = self.latest, self.joined_on, self.withdrawn_on
        if withdrawn_on < latest.joined_on:
            return self.overlap(latest)
        if self.category != latest.category and joined_on > latest.joined_on:
            self.close(latest, joined_on)
            self.open(joined_on, withdrawn_on, self.category)
        elif joined_on != latest.joined_on and _can_move_start(self.history, joined_on):
            self.correct(latest, joined_on=joined_on, withdrawn_on=withdrawn_on)
        else:
            self.close(latest, withdrawn_on)
        return "withdrawn"

    def while_withdrawn(self, fields_changed: bool) -> str | None:
        latest, joined_on, category = self.latest, self.joined_on, self.category
        ended = latest.withdrawn_on
        if self.withdrawn_on is None:
            if joined_on >= ended:
                self.open(joined_on, None, category)
                return "rejoined"
            if joined_on == latest.joined_on and category == latest.category:
                self.correct(latest, withdrawn_on=None)
                return "changed"  # the withdrawal was cancelled
            return self.overlap(latest)
        if joined_on == latest.joined_on:
            if self.withdrawn_on != ended or category != latest.category:
                self.correct(latest, withdrawn_on=self.withdrawn_on, category=category)
                return "changed"
            return "changed" if fields_changed else None
        if joined_on >= ended:
            self.open(joined_on, self.withdrawn_on, category)
            return "rejoined"
        return self.overlap(latest)


OVERLAP = "overlap"  # the row cannot be applied: an error was recorded


def _plan_member(plan: Plan, row: Row, member: dict, history: list[Period], *, as_of) -> None:
    new = row.values
    changed = {f: [_json(member[f]), _json(new[f])] for f in MEMBER_FIELDS if member[f] != new[f]}
    kind = _MemberPlanner(plan, row, member["id"], history, as_of=as_of).kind(bool(changed))
    if kind == OVERLAP:
        return
    member_id = member["id"]
    if kind is None:
        plan.counts["unchanged"] += 1
        if member["roster_fingerprint"] != row.fingerprint:
            plan.fingerprints[member_id] = row.fingerprint
        return
    plan.counts[kind] += 1
    plan.updates[member_id] = ({f: new[f] for f in MEMBER_FIELDS}, row.fingerprint)
    plan.update_fields.update(changed)
    plan.changes[member_id] = Change(kind, row.line, new["member_no"], new["name"], changed)


def _can_move_start(history: list[Period], joined_on: datetime.date) -> bool:
    """The open period's start may be corrected if it stays after the previous period."""
    if len(history) < 2:
        return True
    previous = history[-2]
    return previous.withdrawn_on is not None and joined_on >= previous.withdrawn_on
