import pytest

from tests.support.portal import Portal, build_portal


@pytest.fixture
def portal(organisations, make_user) -> Portal:
    return build_portal(organisations, make_user)
