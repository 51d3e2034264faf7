# The website's signed-in client, for the tests of the website's surfaces.
from tests.web.conftest import fresh_cache, web  # noqa: F401
