"""Login lockout (django-axes) for every login that comes through a web request."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes refuses to run without the request it counts failures by. A call without
    one is not a login from the web (the test client, a management command); the lockout has
    nothing to count there and leaves the check to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
