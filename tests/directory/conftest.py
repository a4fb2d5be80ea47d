import pytest


@pytest.fixture
def branch(organisations):
    return organisations["a"]


@pytest.fixture
def coordinator(branch, make_user):
    from shuangsuiji.accounts.roles import Role

    return make_user("coord-a", branch, Role.COORDINATOR)
