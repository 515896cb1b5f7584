"""ASGI entry point: ``daphne -p 8080 pocsite.asgi:application``.

One :class:`~bridge.service.InquiryBridge` per process serves every request
of that process; it connects to Kafka and Redis on the first request.
"""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pocsite.settings")
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from bridge.asgi_handler import BridgeASGIHandler  # noqa: E402
from bridge.service import InquiryBridge  # noqa: E402

bridge = InquiryBridge(settings.BRIDGE)
handler = BridgeASGIHandler(bridge)

# Everything loaded so far lives as long as the process: keep it out of the
# collector's scans, and collect less often.  At 1000 req/s a full collection
# ran every ~2 s and stalled the event loop for up to 60 ms; with these
# settings none ran in 30 s and memory stayed the same.
gc.freeze()
gc.set_threshold(50_000, 20, 100)

# WebSocket goes to the handler too, which refuses the handshake (403) rather than erroring.
application = ProtocolTypeRouter({"http": handler, "websocket": handler})
