"""Production: DEBUG off; SECRET_KEY and ALLOWED_HOSTS must come from the environment."""

import os

os.environ.setdefault("DEBUG", "0")

from .base import *  # noqa: E402,F403
