"""The bridge's Django application."""

import logging

from django.apps import AppConfig
from django.conf import settings

log = logging.getLogger("bridge")


class BridgeAppConfig(AppConfig):
    name = "bridge"
    verbose_name = "Kafka request-reply bridge"

    def ready(self) -> None:
        # There is no database, yet django.db connects two receivers to every
        # request's start and end; being synchronous, each would cost the
        # request a trip through a worker thread.
        from django.core import signals
        from django.db import close_old_connections, reset_queries

        signals.request_started.disconnect(reset_queries)
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        from pocsite.settings import DEVELOPMENT_SECRET_KEY

        if settings.SECRET_KEY == DEVELOPMENT_SECRET_KEY:
            log.warning("DJANGO_SECRET_KEY is not set: using the development key (fine on a laptop, not in production)")
