"""Test data builders, one module per app (members, courses, lms, mailings), re-exported here."""

from .courses import make_course_page, make_lesson  # noqa: F401
from .lms import complete_course, make_campaign, make_course, make_requirement  # noqa: F401
from .mailings import make_audience, make_newsletter, make_notice_mailing, subscribe  # noqa: F401
from .members import make_member, make_organisation, make_staff  # noqa: F401
