from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingSiteConfig(AppConfig):
    """This deployment's site: its home page, base templates and page routing."""

    name = "training_site"
    label = "training_site"
    verbose_name = _("Training site")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import navigation, page_routing

        page_routing.connect_signals()
        navigation.connect_signals()
