import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aicall.settings")
django_application = get_asgi_application()

from aicall.body_limit import BodyLimit  # noqa: E402 - needs the settings above

application = BodyLimit(django_application)
