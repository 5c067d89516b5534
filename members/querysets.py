"""Reads of membership state that every app shares: "active on date D" lives here only."""

import datetime

from django.db import models
from django.db.models import Exists, OuterRef, Q


def period_covers(day: datetime.date, prefix: str = "") -> Q:
    """Q for a membership period that covers ``day``.

    ``joined_on`` is the first covered day; ``withdrawn_on`` (脱退日 / 資格喪失日) is the
    first day no longer covered, so a member withdrawn on D is not active on D.
    """
    return Q(**{f"{prefix}joined_on__lte": day}) & (
        Q(**{f"{prefix}withdrawn_on__isnull": True}) | Q(**{f"{prefix}withdrawn_on__gt": day})
    )


class MembershipQuerySet(models.QuerySet):
    def covering(self, day: datetime.date):
        return self.filter(period_covers(day))


class MemberQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date):
        """Members with a membership period covering ``day`` (one row per member)."""
        from .models import Membership

        covering = Membership.objects.filter(member=OuterRef("pk")).filter(period_covers(day))
        return self.filter(Exists(covering))

    def inactive_on(self, day: datetime.date):
        from .models import Membership

        covering = Membership.objects.filter(member=OuterRef("pk")).filter(period_covers(day))
        return self.exclude(Exists(covering))
