"""Members' own pages at /members/: the sign-in letter, adding an e-mail address, and
the privacy notice (public)."""

from django.urls import path

from .views import privacy, signin

app_name = "members"

urlpatterns = [
    path("letter/", signin.letter_signin, name="letter_signin"),
    path("email/", signin.email_add, name="email_add"),
    path("email/confirm/", signin.email_confirm, name="email_confirm"),
    path("privacy/", privacy.privacy_notice, name="privacy"),
    path("privacy/<slug:slug>/", privacy.privacy_notice_organisation, name="privacy_organisation"),
]
