"""Model fields the apps share."""

from django.db import models


class JapaneseDateField(models.DateField):
    """A date whose admin form field accepts what staff type: 和暦 (R8.6.1, 令和8年6月1日),
    2026/6/1, 20260601 or the date picker's 2026-06-01 (members.forms.WarekiDateField; wired
    in MembersConfig.ready). In the database and in migrations it is a plain DateField."""

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateField", args, kwargs
