"""Every member-facing URL of the four apps, mounted with one include() before Wagtail's
page URLs::

    path("", include("members.site_urls")),

/accounts/ sign-in with a code, /learn/ the course player, /my/ マイ研修, /mail/ newsletter
preferences and unsubscribing, /members/ the members app's own.
"""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("members.urls_accounts")),
    path("members/", include("members.urls")),
    path("learn/", include("courses.urls")),
    path("my/", include("lms.urls_site")),
    path("mail/", include("mailings.urls")),
]
