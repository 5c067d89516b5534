from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from lms import page_routing
from lms.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # only the sign-in-by-code URLs of allauth: members have no password, sign-up or e-mail pages
    path("accounts/", include("members.urls_accounts")),
    path("members/", include("members.urls")),
    path("learn/", include("courses.urls")),
    path("my/", include("lms.urls_site")),
    path("mail/", include("mailings.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's URLs, its page view routed from the cache (lms/page_routing.py)
urlpatterns += [p for p in wagtail_urls.urlpatterns if p.name != "wagtail_serve"]
urlpatterns += [re_path(wagtail_urls.serve_pattern, page_routing.serve, name="wagtail_serve")]
