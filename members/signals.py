"""Signals other apps listen to (members imports none of them)."""

from django.dispatch import Signal

# Sent on commit after a roster import was applied: roster_imported.send(
#     sender=RosterImport, organisation=<Organisation>, roster_import=<RosterImport>)
roster_imported = Signal()
