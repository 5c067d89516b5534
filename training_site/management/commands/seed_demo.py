"""Idempotent demo data: organisations, accounts, roster, and each app's own demo content."""

from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from training_site.demo import seed_site

DEMO_APPS = ["members", "courses", "lms", "mailings"]


class Command(BaseCommand):
    help = "Create or update demo data. Safe to run any number of times."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with published demo passwords; it runs only with "
                "DEBUG on (or --force). / デモ用パスワードのアカウントを作るため DEBUG 有効時のみ実行できます。"
            )
        roster_dir = Path(settings.BASE_DIR) / "var" / "demo"
        self.stdout.write(self.style.MIGRATE_HEADING("Seeding demo data"))
        seed_site(stdout=self.stdout)
        for label in DEMO_APPS:
            if not apps.is_installed(label):
                continue
            try:
                module = import_module(f"{label}.demo")
            except ModuleNotFoundError:
                continue
            if hasattr(module, "seed"):
                self.stdout.write(self.style.MIGRATE_LABEL(f"{label}:"))
                module.seed(stdout=self.stdout, roster_dir=roster_dir)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
