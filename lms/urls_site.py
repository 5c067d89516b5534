"""Member-facing URLs of the compliance app (マイ研修 etc.), mounted at /my/."""

from django.urls import path

from .views import site as views_site

app_name = "lms"

urlpatterns = [
    path("", views_site.my_training, name="my_training"),
]
