from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from shuangsuiji.accounts import selectors, services
from shuangsuiji.accounts.access import has_permission, login_only, role_required
from shuangsuiji.accounts.forms import (
    OrganisationCreateForm,
    OrganisationUpdateForm,
    SetPasswordForm,
    UserCreateForm,
    UserUpdateForm,
)
from shuangsuiji.accounts.models import Organisation, User
from shuangsuiji.accounts.roles import Role, user_roles
from shuangsuiji.acts import organisations as organisation_acts
from shuangsuiji.params import search_text, whole_number
from shuangsuiji.policy.loader import preset_titles
from shuangsuiji.reports.todo_counts import acts_version, cached_todos


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, on the field it names where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_only
def home(request):
    """Each user's own home: what awaits them (``reports.todo``), then their usual pages; the
    system administrator also sees the organisations below with their presets and users."""
    organisations = []
    if has_permission(request.user, "manage_users"):
        titles = preset_titles()
        organisations = [
            (org, titles.get(org.policy_preset, org.policy_preset))
            for org in selectors.organisation_overview(request.user)
        ]
    # Read once for the list and for the menu's counts (config.context_processors).
    request.acts_version = acts_version(request.user)
    return render(
        request,
        "accounts/home.html",
        {
            "todos": cached_todos(request.user, timezone.localdate(), request.acts_version),
            "organisations": organisations,
        },
    )


@role_required("manage_users")
def organisation_list(request):
    return render(
        request,
        "accounts/organisation_list.html",
        {"organisations": selectors.organisations_managed_by(request.user)},
    )


@role_required("manage_users")
@require_http_methods(["GET", "POST"])
def organisation_create(request):
    parents = Organisation.objects.subtree_of(request.user.organisation).filter(level__lte=3)
    form = OrganisationCreateForm(request.POST or None, parents=parents)
    if request.method == "POST" and form.is_valid():
        try:
            # The act adopts the chosen preset in the same transaction (issue 16).
            organisation = organisation_acts.organisation_create(
                actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已创建单位“{organisation.name}”。")
            return redirect("accounts:organisation_list")
    return render(request, "accounts/form.html", {"form": form, "title": "新建单位"})


@role_required("manage_users")
@require_http_methods(["GET", "POST"])
def organisation_edit(request, pk: int):
    organisation = get_object_or_404(
        Organisation.objects.subtree_of(request.user.organisation), pk=pk
    )
    initial = {
        "name": organisation.name,
        "policy_preset": organisation.policy_preset,
        "is_active": organisation.is_active,
    }
    form = OrganisationUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            organisation_acts.organisation_update(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存单位“{organisation.name}”。")
            return redirect("accounts:organisation_list")
    history = organisation.history.select_related("history_user")[:20]
    return render(
        request,
        "accounts/form.html",
        {
            "form": form,
            "title": f"编辑单位：{organisation.code} {organisation.name}",
            "history": history,
        },
    )


@role_required("manage_users")
def user_list(request):
    search = search_text(request.GET)
    role = request.GET.get("role", "")
    if role not in Role.values:
        role = ""
    organisation_id = request.GET.get("organisation", "")
    users = selectors.users_managed_by(
        request.user,
        search=search,
        role=role,
        organisation_id=whole_number(organisation_id, 1, 999_999_999),
    )
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    rows = [(user, [r.label for r in user_roles(user)]) for user in page]
    return render(
        request,
        "accounts/user_list.html",
        {
            "page": page,
            "rows": rows,
            "q": search,
            "role": role,
            "roles": Role.choices,
            "organisation_id": organisation_id,
            "organisations": Organisation.objects.subtree_of(request.user.organisation),
        },
    )


@role_required("manage_users")
@require_http_methods(["GET", "POST"])
def user_create(request):
    organisations = Organisation.objects.subtree_of(request.user.organisation)
    form = UserCreateForm(
        request.POST or None,
        organisations=organisations,
        initial={"organisation": request.user.organisation},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = services.user_create(
                actor=request.user,
                username=data["username"],
                display_name=data["display_name"],
                organisation=data["organisation"],
                roles=[Role(r) for r in data["roles"]],
                password=data["password"] or None,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if data["password"]:
                messages.success(request, f"已创建用户“{user.username}”。")
            else:
                # In <code>: a password is characters to copy, not words, and letters such
                # as l and 1 must be told apart.
                messages.success(
                    request,
                    format_html(
                        "已创建用户“{}”，初始密码：<code>{}</code>（仅显示这一次，请转告本人）。",
                        user.username,
                        password,
                    ),
                )
            return redirect("accounts:user_list")
    return render(request, "accounts/form.html", {"form": form, "title": "新建用户"})


@role_required("manage_users")
@require_http_methods(["GET", "POST"])
def user_edit(request, pk: int):
    organisations = Organisation.objects.subtree_of(request.user.organisation)
    user = get_object_or_404(
        User.objects.of_organisation(request.user.organisation, with_descendants=True), pk=pk
    )
    initial = {
        "display_name": user.display_name,
        "organisation": user.organisation,
        "roles": [r.value for r in user_roles(user)],
        "is_active": user.is_active,
    }
    form = UserUpdateForm(request.POST or None, organisations=organisations, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                actor=request.user,
                user=user,
                display_name=data["display_name"],
                organisation=data["organisation"],
                roles=[Role(r) for r in data["roles"]],
                is_active=data["is_active"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存用户“{user.username}”。")
            return redirect("accounts:user_list")
    history = user.history.select_related("history_user")[:20]
    return render(
        request,
        "accounts/form.html",
        {
            "form": form,
            "title": f"编辑用户：{user.username}",
            "history": history,
            "extra_link": ("重设密码", "accounts:user_password", user.pk),
        },
    )


@role_required("manage_users")
@require_http_methods(["GET", "POST"])
def user_password(request, pk: int):
    user = get_object_or_404(
        User.objects.of_organisation(request.user.organisation, with_descendants=True), pk=pk
    )
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(
                actor=request.user, user=user, password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已重设用户“{user.username}”的密码。")
            return redirect("accounts:user_list")
    return render(
        request, "accounts/form.html", {"form": form, "title": f"重设密码：{user.username}"}
    )
