from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from shuangsuiji.accounts import views as account_views
from shuangsuiji.config import views
from shuangsuiji.disclosure.api import api

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("manage/", include("shuangsuiji.accounts.urls")),
    path("directory/", include("shuangsuiji.directory.urls")),
    path("planning/", include("shuangsuiji.planning.urls")),
    path("bureau/", include("shuangsuiji.bureau.urls")),
    path("inspections/", include("shuangsuiji.inspections.urls")),
    path("reports/", include("shuangsuiji.reports.urls")),
    path("exchange/", include("shuangsuiji.disclosure.exchange_urls")),
    path("audit/", include("shuangsuiji.audit.urls")),
    path("gongkai/", include("shuangsuiji.disclosure.urls")),
    # The API's root would be a bare 404; people who open it want the documentation.
    path("api/", RedirectView.as_view(url="/api/docs", permanent=False), name="api_home"),
    path("api/", api.urls),
    path("django-admin/", admin.site.urls),
]

handler400 = "shuangsuiji.config.views.bad_request"
handler403 = "shuangsuiji.config.views.permission_denied"
handler404 = "shuangsuiji.config.views.page_not_found"
handler500 = "shuangsuiji.config.views.server_error"
