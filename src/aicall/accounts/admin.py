from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from aicall.accounts.callerids import CALLER_ID_WRITTEN, caller_id_key
from aicall.accounts.models import User, VerifiedCallerId
from aicall.accounts.services import do_rotate_secret_key, do_set_active


class VerifiedCallerIdForm(forms.ModelForm):
    class Meta:
        model = VerifiedCallerId
        fields = ["number", "note"]

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        if not CALLER_ID_WRITTEN.match(number):
            raise forms.ValidationError("digits only (an optional leading +)")
        return caller_id_key(number)


class VerifiedCallerIdInline(admin.TabularInline):
    """Numbers the operator checked belong to the customer; its campaigns may show them."""

    model = VerifiedCallerId
    form = VerifiedCallerIdForm
    extra = 0
    readonly_fields = ["created_at"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "created_at"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["secret_rotated_at", "created_at", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "default_trunk"]}),
        ("Destinations", {"fields": ["allow_restricted_destinations"]}),
        ("Dates", {"fields": ["created_at", "secret_rotated_at", "last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    inlines = [VerifiedCallerIdInline]
    actions = ["rotate_secret_key", "disable_accounts", "enable_accounts"]

    @admin.action(description="Rotate secret_key (every access_token of the account stops working)")
    def rotate_secret_key(self, request, queryset):
        for user in queryset:
            do_rotate_secret_key(user)
        self.message_user(
            request, f"New secret_key for {queryset.count()} account(s).", messages.SUCCESS
        )

    @admin.action(description="Disable accounts (no sign-in, API tokens refused)")
    def disable_accounts(self, request, queryset):
        for user in queryset.exclude(pk=request.user.pk):
            do_set_active(user, False)
        self.message_user(request, "Accounts disabled.", messages.SUCCESS)

    @admin.action(description="Enable accounts")
    def enable_accounts(self, request, queryset):
        for user in queryset:
            do_set_active(user, True)
        self.message_user(request, "Accounts enabled.", messages.SUCCESS)
