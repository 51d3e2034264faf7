import secrets

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


def new_secret_key() -> str:
    """32 random bytes, URL-safe: the customer's API credential."""
    return secrets.token_urlsafe(32)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A customer account. Email is the login; `secret_key` mints API access tokens."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    secret_key = models.CharField(max_length=100, unique=True, default=new_secret_key)
    secret_rotated_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    default_trunk = models.ForeignKey(
        "telephony.Trunk", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set by the operator only (admin, `aicall destinations allow`): premium-rate,
    # shared-cost and 1900/1800 numbers may be imported and be transfer targets.
    allow_restricted_destinations = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # noqa: RUF012

    class Meta:
        db_table = "accounts_user"

    def __str__(self) -> str:
        return self.email


class VerifiedCallerId(models.Model):
    """A number the operator checked belongs to the account: its campaigns may show it.

    Added by the operator only (`aicall callerid add`, the admin), never by the customer:
    showing someone else's number is caller-ID spoofing, which carriers and the law forbid.
    """

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="verified_caller_ids")
    number = models.CharField(max_length=20)  # digits, as `callerids.caller_id_key` gives
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "number"], name="verified_caller_id_unique")
        ]

    def __str__(self) -> str:
        return self.number


class LoginFailure(models.Model):
    """One wrong password on a sign-in form, kept for the throttle's window.

    `key` is `ip:<address>` or `account:<email>`: both are counted, so guessing one
    account's password from many addresses and many accounts' from one address both stop.
    In the database, so that every web process behind a balancer counts the same failures.
    """

    key = models.CharField(max_length=300)
    failed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "accounts_login_failure"
        indexes = [
            models.Index(fields=["key", "failed_at"], name="login_failure_key_at"),
            models.Index(fields=["failed_at"], name="login_failure_at"),
        ]
