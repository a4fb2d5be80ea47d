"""Login lockout (django-axes) for every login that comes through a web request, and the
backend that reads a signed-in user for each request."""

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Sum
from django.utils import timezone

from shuangsuiji.prepared import Prepared


def address_failures(request) -> int:
    """Failed logins from the request's address within the cool-off, over every username."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=since
    )
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutBackend(AxesStandaloneBackend):
    """django-axes locks a username from one address after SHUANGSUIJI_LOGIN_FAILURES; this
    also locks the address, whatever the username, after SHUANGSUIJI_LOGIN_FAILURES_PER_ADDRESS,
    so that one address cannot try a few passwords on every account.

    django-axes refuses to run without the request it counts failures by. A call without one is
    not a login from the web (the test client, a management command); the lockout has nothing to
    count there and leaves the check to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        AxesProxyHandler.update_request(request)
        if address_failures(request) >= settings.SHUANGSUIJI_LOGIN_FAILURES_PER_ADDRESS:
            request.axes_locked_out = True  # axes' middleware answers with the lockout page
            raise AxesBackendPermissionDenied("该地址登录失败次数过多，已暂时锁定")
        return super().authenticate(request, username=username, password=password, **kwargs)


class StaffBackend(ModelBackend):
    """Django's ``ModelBackend``, reading the signed-in user's organisation with the user:
    every staff page reads it (the menu, the to-dos, the scope of every list), one query fewer
    per request (issue 21 §3). Sessions begun under ``ModelBackend`` before it was listed stay
    valid: that backend is still listed after this one."""

    def get_user(self, user_id):
        found = _SIGNED_IN(pk=int(user_id))
        return found[0] if found and self.user_can_authenticate(found[0]) else None


# Every staff request reads it: compiled once per connection (issue 21 §3).
_SIGNED_IN = Prepared(
    lambda pk: get_user_model()._default_manager.select_related("organisation").filter(pk=pk),
    pk=int,
    planned_once=True,
)
