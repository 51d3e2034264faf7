"""Sign-in, password change, and the profile page with the API credentials."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from aicall.accounts.services import do_rotate_secret_key
from aicall.accounts.tokens import mint_access_token
from aicall.web.access import account
from aicall.web.login import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    next_page = "web:dashboard"

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(form, "throttled", False):
            response.status_code = 429
        return response


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:profile")
    extra_context = {"nav": "profile"}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:dashboard" if request.user.is_authenticated else "web:login")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "web/profile.html", {"nav": "profile"})


@never_cache
@login_required
@require_POST
def reveal_secret(request: HttpRequest) -> HttpResponse:
    """The secret_key travels only in answer to a POST, never in the page's first HTML."""
    return render(request, "web/_secret.html", {"secret_key": account(request).secret_key})


@login_required
def rotate_secret(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        do_rotate_secret_key(account(request))
        messages.success(
            request,
            _(
                "Your secret_key has been changed. "
                "Every access_token minted before stopped working."
            ),
        )
        return redirect("web:profile")
    return render(request, "web/rotate_confirm.html", {"nav": "profile"})


@never_cache
@login_required
@require_POST
def new_token(request: HttpRequest) -> HttpResponse:
    return render(request, "web/_token.html", {"access_token": mint_access_token(account(request))})
