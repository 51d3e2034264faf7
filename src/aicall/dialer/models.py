from django.db import models
from django.utils import timezone


class DialerProcess(models.Model):
    """One running (or dead) dialer process, with its heartbeat.

    Calls carry `claimed_by = name`; a dialer whose heartbeat is stale (or whose pid is gone on
    this host) is declared dead and its in-flight calls are settled or retried by the others.
    """

    name = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    # Set on a clean exit or when another dialer declares this one dead; a dialer that finds
    # itself declared dead stops claiming (its late results are dropped, never stored twice).
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return self.name


class PacingBucket(models.Model):
    """The calls-per-second schedule of one trunk (or of the sandbox), shared by all dialers.

    Dialers lock this row (SELECT ... FOR UPDATE) while they claim calls for the trunk, which
    also serialises the in-flight counts behind max channels and per-campaign concurrency.
    `next_slot_epoch` (epoch seconds) is when the next call may start: claims take evenly spaced
    start slots from it (a GCRA), so the rate holds across processes.
    """

    key = models.CharField(max_length=64, unique=True)  # "trunk:<id>" or "sandbox"
    next_slot_epoch = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key
