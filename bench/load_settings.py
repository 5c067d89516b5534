"""Settings for bench/load.py: production settings behind a (simulated) reverse proxy.

Members on the morning of June 1 come from 2,000 different addresses; the load generator runs
on one machine, so each simulated member sends its own X-Forwarded-For and we trust one proxy
hop, exactly as a deployment behind nginx would (allauth's per-IP limits then apply per member).
"""

from training_site.settings.production import *  # noqa: F401,F403

ALLAUTH_TRUSTED_PROXY_COUNT = 1
