from django.urls import path

from aicall.web.views import (
    accounts,
    audio,
    calls,
    campaigns,
    contacts,
    dashboard,
    dnc,
    lifecycle,
)

app_name = "web"

urlpatterns = [
    path("", accounts.home, name="home"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("profile/", accounts.profile, name="profile"),
    path("profile/secret/", accounts.reveal_secret, name="reveal_secret"),
    path("profile/secret/rotate/", accounts.rotate_secret, name="rotate_secret"),
    path("profile/token/", accounts.new_token, name="new_token"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/charts/", dashboard.account_charts, name="account_charts"),
    path("campaigns/", campaigns.campaign_list, name="campaigns"),
    path("campaigns/rows/", campaigns.campaign_rows, name="campaign_rows"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/preview/script/", campaigns.script_preview, name="script_preview"),
    path("campaigns/preview/menu/", campaigns.menu_preview, name="menu_preview"),
    path("campaigns/preview/listen.wav", audio.listen, name="listen"),
    path("campaigns/<int:campaign_id>/audio.wav", audio.campaign_audio, name="campaign_audio"),
    path(
        "campaigns/<int:campaign_id>/menu-audio/<str:audio_id>.wav",
        audio.campaign_menu_audio,
        name="campaign_menu_audio",
    ),
    path("digits/", audio.digits, name="digits"),
    path("digits/delete/", audio.digits_delete, name="digits_delete"),
    path("digits/<str:digit>.wav", audio.digit_audio, name="digit_audio"),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/start/", lifecycle.campaign_start, name="campaign_start"),
    path(
        "campaigns/<int:campaign_id>/schedule/",
        lifecycle.campaign_schedule,
        name="campaign_schedule",
    ),
    path("campaigns/<int:campaign_id>/test-call/", lifecycle.test_call, name="test_call"),
    path(
        "campaigns/<int:campaign_id>/test-call/<int:call_id>/",
        lifecycle.test_call_result,
        name="test_call_result",
    ),
    path(
        "campaigns/<int:campaign_id>/duplicate/",
        lifecycle.campaign_duplicate,
        name="campaign_duplicate",
    ),
    path(
        "campaigns/<int:campaign_id>/archive/", lifecycle.campaign_archive, name="campaign_archive"
    ),
    path(
        "campaigns/<int:campaign_id>/restore/", lifecycle.campaign_restore, name="campaign_restore"
    ),
    path("campaigns/<int:campaign_id>/delete/", lifecycle.campaign_delete, name="campaign_delete"),
    path("campaigns/<int:campaign_id>/stop/", campaigns.campaign_stop, name="campaign_stop"),
    path(
        "campaigns/<int:campaign_id>/progress/",
        campaigns.campaign_progress_view,
        name="campaign_progress",
    ),
    path("campaigns/<int:campaign_id>/charts/", dashboard.campaign_charts, name="campaign_charts"),
    path("campaigns/<int:campaign_id>/calls/", calls.campaign_calls, name="campaign_calls"),
    path(
        "campaigns/<int:campaign_id>/calls/download.<str:fmt>",
        calls.campaign_calls_download,
        name="campaign_calls_download",
    ),
    path("campaigns/<int:campaign_id>/contacts/", contacts.upload, name="contacts_upload"),
    path(
        "campaigns/<int:campaign_id>/contacts/<str:token>/",
        contacts.mapping,
        name="contacts_mapping",
    ),
    path(
        "campaigns/<int:campaign_id>/contacts/<str:token>/report/",
        contacts.report,
        name="contacts_report",
    ),
    path(
        "campaigns/<int:campaign_id>/contacts/<str:token>/report.csv",
        contacts.report_download,
        name="contacts_report_download",
    ),
    path("calls/", calls.all_calls, name="calls"),
    path("calls/download.<str:fmt>", calls.all_calls_download, name="calls_download"),
    path("calls/<int:call_id>/", calls.call_detail, name="call"),
    path("calls/<int:call_id>/recording.wav", calls.call_recording, name="call_recording"),
    path("do-not-call/", dnc.dnc, name="dnc"),
    path("do-not-call/remove/", dnc.dnc_remove, name="dnc_remove"),
    path("do-not-call/upload/", dnc.dnc_upload, name="dnc_upload"),
]
