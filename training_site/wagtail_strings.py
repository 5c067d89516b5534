"""Wagtail's own admin strings that its Japanese catalogue leaves in English, given Japanese
in this project's catalogue (training_site is the first installed app, so its translations
win). Nothing calls ``_catalogue``: it is here so that ``./dev messages`` keeps these
messages in training_site/locale/ja. The default workflow's name is data, renamed by
training_site migration 0002. Strings of Wagtail's JavaScript ("Collapse all", "Main menu")
are in the hand-kept training_site/locale_js/ja/LC_MESSAGES/djangojs.po: Wagtail's
JavaScript catalogue reads only wagtail.admin's files and LOCALE_PATHS, which names that
folder (an app's own locale folder is not read there).
"""

from django.utils.translation import gettext, ngettext


def _catalogue():  # pragma: no cover - read by makemessages, never run
    gettext("Help")
    gettext("Search all pages…")
    gettext("Filter by")
    gettext("Show filters")
    gettext("View history")
    gettext("Aging pages")
    gettext("Page types usage")
    gettext("Media")
    gettext("Wagtail %(current_version)s editor guide")
    gettext("New: %(model_name)s")
    ngettext("There is %(counter)s match", "There are %(counter)s matches", 1)
