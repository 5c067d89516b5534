"""The roster import pipeline: read -> normalise -> validate -> diff -> apply.

Used by ``manage.py import_roster``, the admin import screens (through a Celery task) and
the demo seed, all through :func:`members.services.roster_import_run`.
"""
