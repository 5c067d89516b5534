"""Signals other apps listen to (connect them in your AppConfig.ready())."""

from django.dispatch import Signal

#: Sent on commit when an enrolment becomes complete, whatever the source (e-learning,
#: seminar, paper): ``course_completed.send(sender=Enrolment, enrolment=enrolment)``.
course_completed = Signal()
