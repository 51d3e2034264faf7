"""The limits of a campaign's settings, declared once.

`services.clean_settings` enforces them for every surface (API, website, command line);
the website's form (web/forms.py) and the API's OpenAPI schema (api/campaign_schemas.py)
show the same numbers, and the model's column widths are these (campaigns/models.py).
"""

from aicall.speech.voices import MAX_RATE_PERCENT, MIN_RATE_PERCENT

# Longest text a setting may hold, in characters.
TEXT_LIMITS = {
    "name": 200,
    "caller_id": 32,
    "script": 10_000,
    "webhook_url": 500,
    "webhook_secret": 100,
    "otp_lead_text": 300,
    "otp_again_text": 300,
    "otp_replay_text": 300,
    "otp_closing_text": 300,
}

# (lowest, highest) a whole-number setting may be.
INT_LIMITS = {
    "max_concurrent_calls": (1, 100_000),
    "max_attempts": (1, 10),
    "retry_interval_seconds": (10, 7 * 86400),
    "otp_expiry_seconds": (10, 86400),
    "otp_repeat_count": (1, 10),
    "ring_timeout_seconds": (5, 300),
    "speech_rate": (MIN_RATE_PERCENT, MAX_RATE_PERCENT),
    "otp_pause_ms": (0, 10_000),
}
