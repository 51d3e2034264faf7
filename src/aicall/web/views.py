"""Placeholder pages until the website (issue 4) lands."""

from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:campaigns")


login_view = LoginView.as_view(template_name="admin/login.html")


def campaigns(request: HttpRequest) -> HttpResponse:
    return HttpResponse("aicall")
