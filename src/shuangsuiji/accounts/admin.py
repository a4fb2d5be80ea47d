from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from shuangsuiji.accounts.models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "level", "parent", "policy_preset", "is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["path"]


@admin.register(User)
class ShuangsuijiUserAdmin(UserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "display_name", "organisation", "is_active"]
    list_select_related = ["organisation"]
    fieldsets = (*UserAdmin.fieldsets, ("单位", {"fields": ("display_name", "organisation")}))
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("单位", {"fields": ("display_name", "organisation")}),
    )
