import re

from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.auth import require_admin_access
from wagtail.documents import urls as wagtaildocs_urls

from members.views.site_history import SiteHistoryView
from training_site import page_routing
from training_site.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Wagtail's site history, limited to the user's organisations (members/views/site_history.py)
    path(
        "admin/reports/site-history/",
        require_admin_access(SiteHistoryView.as_view()),
        name="members_site_history",
    ),
    path(
        "admin/reports/site-history/results/",
        require_admin_access(SiteHistoryView.as_view(results_only=True)),
        name="members_site_history_results",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # the apps' member pages: sign-in with a code, courses, マイ研修, mail preferences
    path("", include("members.site_urls")),
]

if settings.DEBUG:
    # images and renditions only: videos (media/) and documents (captions among them) are sent
    # by their permission-checked views (courses/media.py, Wagtail's document view)
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>(?!media/|documents/).*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

# Wagtail's URLs, its page view routed from the cache (training_site/page_routing.py)
urlpatterns += [p for p in wagtail_urls.urlpatterns if p.name != "wagtail_serve"]
urlpatterns += [re_path(wagtail_urls.serve_pattern, page_routing.serve, name="wagtail_serve")]
