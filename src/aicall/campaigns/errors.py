from typing import Any

from django.utils import translation
from django.utils.functional import Promise


class CampaignError(ValueError):
    """A campaign setting that cannot be accepted; `field` names the offending input.

    `message` is a `gettext_lazy` text (with `%(name)s` placeholders filled from `params`)
    or a plain string. Two readings of it: `.message` (and `str()`) is the English the API
    and the command line answer with, whatever language is active; `.text()` is the same
    message in the active language, for the website.
    """

    def __init__(self, field: str, message: "str | Promise", **params: Any):
        self.field = field
        self.params = params
        self._message = message
        with translation.override(None):  # no catalogue: the English msgid
            self.message = _fill(message, params)
        super().__init__(self.message)

    @property
    def translatable(self) -> bool:
        return isinstance(self._message, Promise)

    def text(self, **overrides: Any) -> str:
        """The message in the active language; `overrides` replace some of its parameters
        (the website names a field by its label rather than by its API name)."""
        return _fill(self._message, {**self.params, **overrides})


def _fill(message: "str | Promise", params: dict[str, Any]) -> str:
    words = str(message)
    return words % params if params else words
