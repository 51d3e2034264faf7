"""The voices and speaking rates a campaign may choose.

These are espeak-ng 1.51's three Vietnamese voices (northern `vi`, central and southern),
each as the engine's default (male) voice and with its `+f3` female variant. A cloud or
neural engine adds its own names here; the campaign stores the name, and the engine turns
it into its own voice.
"""

from __future__ import annotations

DEFAULT_VOICE = "vi"
# name -> (region, gender): the website translates these words for its voice picker.
VOICES: dict[str, tuple[str, str]] = {
    "vi": ("northern", "male"),
    "vi+f3": ("northern", "female"),
    "vi-vn-x-central": ("central", "male"),
    "vi-vn-x-central+f3": ("central", "female"),
    "vi-vn-x-south": ("southern", "male"),
    "vi-vn-x-south+f3": ("southern", "female"),
}

DEFAULT_RATE_PERCENT = 100
MIN_RATE_PERCENT, MAX_RATE_PERCENT = 50, 200
