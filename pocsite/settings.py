"""Django settings for the inquiry bridge.

Every value comes from the environment with a development default; the bridge's
own settings are one typed object, ``BRIDGE`` (see ``bridge/config.py``).
"""

import os
import sys

from bridge import config as bridge_config

DEVELOPMENT_SECRET_KEY = "development-only-insecure-key-set-DJANGO_SECRET_KEY"

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
DEBUG = os.environ.get("DJANGO_DEBUG", "").lower() in ("1", "true", "yes", "on")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()
]

INSTALLED_APPS = [
    "daphne",
    "channels",
    "bridge",
]

# No middleware on purpose: the only endpoint is a JSON API with no sessions,
# cookies or forms, and each middleware adds work to every request.
MIDDLEWARE: list[str] = []

ROOT_URLCONF = "pocsite.urls"
ASGI_APPLICATION = "pocsite.asgi.application"

# No database: the bridge keeps its state in Kafka and Redis.
DATABASES: dict = {}

try:
    BRIDGE = bridge_config.load()
except bridge_config.ConfigError as exc:
    sys.exit(f"Invalid configuration: {exc}")

# Redis through django-redis, as the user asked; the waiting path builds its
# asyncio client from the same URL (django-redis is synchronous only).
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": BRIDGE.redis.url,
        "KEY_PREFIX": BRIDGE.redis.key_prefix,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": BRIDGE.redis.connect_timeout,
            "SOCKET_TIMEOUT": 2,
        },
    }
}

# Clients read the id from the path; a request body has no use here.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"skip_deliberate": {"()": "bridge.log_filters.SkipDeliberateResponses"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "bridge": {"handlers": ["stderr"], "level": os.environ.get("BRIDGE_LOG_LEVEL", "INFO"), "propagate": False},
        "django": {"handlers": ["stderr"], "level": "WARNING"},
        "django.request": {
            "handlers": ["stderr"],
            "level": "WARNING",
            "filters": ["skip_deliberate"],
            "propagate": False,
        },
    },
}
