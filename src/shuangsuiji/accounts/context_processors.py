from shuangsuiji.accounts.navigation import menu_for
from shuangsuiji.accounts.roles import user_roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"menu": menu_for(user), "my_roles": [role.label for role in user_roles(user)]}
