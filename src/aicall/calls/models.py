from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CallStatus(models.TextChoices):
    """Where a call is in the dialer's life cycle (internal; the API shows `state`)."""

    QUEUED = "queued", "Queued"
    DIALING = "dialing", "In progress"
    DONE = "done", "Finished"


class CallState(models.IntegerChoices):
    """The contract's `state` (export, call-log, webhooks)."""

    CALLING = 20, "Calling"
    ANSWERED = 40, "Answered"
    NOT_ANSWERED = 50, "Not answered / failed"
    ERROR = 60, "Error"


FINISHED = Q(status="done")  # such rows have state 40 or 50 (a constraint says so)


class _StatusLiteral(models.Expression):
    """A status written into the SQL as a literal: SQLite uses a partial index only for a
    query that states the index's condition literally, and Django binds values as
    parameters. Unlike a WHERE string, it follows the table's alias into subqueries."""

    def __init__(self, status: "CallStatus") -> None:
        super().__init__(output_field=models.CharField())
        self.status = status

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple]:
        return f"'{self.status.value}'", ()  # a member of CallStatus, never user input


def finished_only(calls: "models.QuerySet[Call]") -> "models.QuerySet[Call]":
    """`calls` restricted to finished ones, in the form the partial indexes match."""
    return calls.filter(status=_StatusLiteral(CallStatus.DONE))


def in_flight_only(calls: "models.QuerySet[Call]") -> "models.QuerySet[Call]":
    """`calls` restricted to those a dialer is placing (status dialing), index-friendly."""
    return calls.filter(status=_StatusLiteral(CallStatus.DIALING))


class Priority(models.IntegerChoices):
    """Lower goes first: an OTP is worthless a few minutes late, a broadcast can wait."""

    OTP = 0, "Voice OTP"
    BROADCAST = 1, "Broadcast"


class Call(models.Model):
    """One accepted contact of a campaign, and the outcome of its (last) attempt."""

    # No single-column indexes on these two: SQLite's planner would pick them over the
    # partial export/call-log indexes below and sort a million rows. The composite indexes
    # lead with the same columns and serve every lookup by campaign or owner.
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, db_index=False)
    # Denormalised from the campaign so that call-log is one index range per account.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    phone_e164 = models.CharField(max_length=20)
    phone_as_sent = models.CharField(max_length=64)
    otp_code = models.CharField(max_length=6, blank=True)
    # Text without a length limit: the contract sets none, and a contact is never cut short
    # or refused for a long name.
    danh_xung = models.TextField(blank=True)
    ho_ten = models.TextField(blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=8, choices=CallStatus.choices, default=CallStatus.QUEUED)
    state = models.SmallIntegerField(choices=CallState.choices, null=True, blank=True)
    priority = models.SmallIntegerField(choices=Priority.choices, default=Priority.BROADCAST)
    due_at = models.DateTimeField(default=timezone.now)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    caller_id = models.CharField(max_length=32, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)
    key_presses = models.JSONField(default=list, blank=True)  # [[digit, second], ...]
    key_press = models.CharField(max_length=500, blank=True)  # "1 (29), 2 (35)"
    hangup_cause = models.CharField(max_length=64, blank=True)  # the contract's `note`
    sip_code = models.PositiveSmallIntegerField(null=True, blank=True)
    recording = models.CharField(max_length=300, blank=True)
    # Which carrier placed the last attempt ("sandbox", "sip"; "" when never placed): a
    # simulated call is never mistaken for a real one (webhooks say "sandbox": true).
    # db_default: imports insert rows with raw SQL naming their own columns.
    carrier = models.CharField(max_length=16, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Export and call-log read one (campaign|owner) range of finished calls in called_at
        # order, so a deep OFFSET and the total count walk the index, never the table.
        # Partial indexes: queued calls (a 100,000-contact import) add no entries to them.
        # SQLite uses a partial index only when the query states its condition as a
        # literal, so queries use finished_only() (Django binds Q values as parameters).
        indexes = [
            models.Index(
                fields=["campaign", "called_at", "id"], condition=FINISHED, name="call_export"
            ),
            models.Index(fields=["owner", "called_at", "id"], condition=FINISHED, name="call_log"),
            # The website's account-wide calls and dashboard (counts by status).
            models.Index(fields=["owner", "status"], name="call_owner_status"),
            # Calls in flight, by dialer: partial, so importing queued calls costs nothing
            # here. Queries state the condition with in_flight_only() (see _StatusLiteral).
            models.Index(
                fields=["campaign", "claimed_by"],
                condition=Q(status="dialing"),
                name="call_in_flight",
            ),
            # The dialer's claim: one campaign's queued calls in due order.
            models.Index(fields=["campaign", "status", "due_at", "id"], name="call_claim"),
        ]
        constraints = [
            # Export and call-log select finished calls by status alone (see the indexes).
            models.CheckConstraint(
                condition=~Q(status="done") | Q(state__in=[40, 50]),
                name="done_calls_have_a_final_state",
            )
        ]

    def __str__(self) -> str:
        return f"call {self.pk} to {self.phone_e164}"


class CallAttempt(models.Model):
    """One dial of a call. The Call row carries the last one; this keeps them all."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="attempts")
    attempt = models.PositiveSmallIntegerField()
    called_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)
    key_press = models.CharField(max_length=500, blank=True)
    hangup_cause = models.CharField(max_length=64, blank=True)
    sip_code = models.PositiveSmallIntegerField(null=True, blank=True)
    dialer = models.CharField(max_length=64, blank=True)
    carrier = models.CharField(max_length=16, blank=True)  # "sandbox", "sip"
    trunk_name = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["call", "attempt"], name="one_row_per_attempt")
        ]


class DoNotCall(models.Model):
    """A number an account must never dial."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    phone_e164 = models.CharField(max_length=20)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "phone_e164"], name="dnc_unique_number")
        ]


class IdempotentImport(models.Model):
    """The first response to an import sent with an `Idempotency-Key`, kept for 24 hours."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    campaign_id = models.BigIntegerField()
    body_sha256 = models.CharField(max_length=64)
    response_json = models.TextField()
    http_status = models.PositiveSmallIntegerField(default=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique")
        ]


class FinishedCallCount(models.Model):
    """How many finished calls a campaign and an account have, kept by database triggers.

    Export's `total` over a campaign's whole history would otherwise count a million index
    entries per request. Triggers (migration 0003) keep these rows exact whatever code
    changes a call's status, in the same transaction. Scope is "campaign" or "owner".
    """

    scope = models.CharField(max_length=8)
    scope_id = models.BigIntegerField()
    finished = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "scope_id"], name="one_counter_per_scope")
        ]
