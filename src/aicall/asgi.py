import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aicall.settings")
django_application = get_asgi_application()

from aicall.body_limit import BodyLimit  # noqa: E402 - needs the settings above
from aicall.lib.concurrency import ConcurrencyLimit  # noqa: E402
from aicall.lib.write_gate import yield_to_other_processes  # noqa: E402

# Many request threads write here; the dialer's writes go first (lib/write_gate.py).
yield_to_other_processes()

application = ConcurrencyLimit(
    BodyLimit(django_application), int(os.environ.get("AICALL_WEB_CONCURRENCY", "16"))
)
