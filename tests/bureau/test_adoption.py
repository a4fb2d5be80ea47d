"""Adopting a preset is an explicit, audited act (issue 16): at ``org add``, when the 系统管理员
chooses or changes the preset, by the bureau's 抽查管理员, or by migration ``bureau/0002`` for
bureaus that chose one before; never a side effect of reading."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.bureau.models import OrganisationPolicy, OrganisationSettings
from shuangsuiji.bureau.organisation_settings import organisation_settings
from shuangsuiji.bureau.policies import NoPolicy, organisation_policy
from shuangsuiji.bureau.services import policy_adopt
from tests.support.rows import row_counts
from tests.support.tree import adopt_preset


def chosen_not_adopted(organisation, preset: str):
    """A preset chosen below the acts (the accounts service alone): nothing adopts it, as for
    a bureau that chose its preset before adoption was an act."""
    from shuangsuiji.accounts.services import organisation_preset_set

    return organisation_preset_set(actor=None, organisation=organisation, policy_preset=preset)


def adoptions(organisation) -> int:
    return AuditEvent.objects.filter(action="policy.adopt", organisation=organisation).count()


def test_the_public_policy_page_of_a_bureau_that_has_not_adopted_writes_nothing(
    client, organisations, make_user
):
    """Before issue 16 this anonymous GET adopted the preset: it inserted the bureau's policy
    and settings with their history rows, unaudited."""
    county = chosen_not_adopted(organisations["a"], "zunhua-2024")
    before = row_counts()
    response = client.get(reverse("disclosure:policy", args=[county.code]))
    assert response.status_code == 200
    assert "尚未公开实施方案" in response.content.decode()
    assert row_counts() == before
    assert not OrganisationPolicy.objects.filter(organisation=county).exists()
    assert not OrganisationSettings.objects.filter(organisation=county).exists()

    # The bureau's own pages say what is missing and who does it, and write nothing either.
    client.force_login(make_user("coord", county, Role.COORDINATOR))
    before = row_counts()
    response = client.get(reverse("planning:policy"))
    assert response.status_code == 200
    page = response.content.decode()
    title = "遵化市 2024 年“双随机、一公开”监管工作实施方案"
    assert f"尚未采用政策预设《{title}》" in page and "保存即采用该预设" in page
    for name in ("disclosure:targets", "disclosure:results"):
        assert client.get(reverse(name, args=[county.code])).status_code == 200
    assert row_counts() == before


def test_reading_settings_never_stored_gives_the_preset_defaults_unsaved(organisations):
    county = adopt_preset(organisations["a"], "baoding-2021")
    OrganisationSettings.objects.filter(organisation=county).delete()
    before = row_counts()
    settings = organisation_settings(county)
    assert settings.pk is None and settings.publish_monthly is True  # 保定 二 每月公示
    assert organisation_settings(organisations["province"]).publish_monthly is False
    assert row_counts() == before


def test_org_add_adopts_the_preset_in_one_audited_act(db, capsys):
    from shuangsuiji.cli import main

    assert main(["org", "add", "130000", "河北省生态环境厅"]) == 0
    assert main(["org", "add", "130600", "保定市生态环境局", "--parent", "130000",
                 "--preset", "baoding-2021"]) == 0  # fmt: skip
    assert "已采用政策预设：baoding-2021" in capsys.readouterr().out
    from shuangsuiji.accounts.models import Organisation

    baoding = Organisation.objects.get(code="130600")
    policy = organisation_policy(baoding)
    assert policy.preset == "baoding-2021" and "baoding-2021" in policy.text
    assert policy.history.count() == 1
    settings = OrganisationSettings.objects.get(organisation=baoding)
    assert settings.publish_monthly is True and settings.history.count() == 1
    event = AuditEvent.objects.get(action="policy.adopt")
    assert event.organisation == baoding and event.actor is None
    # The log names the preset by its title, never by its file's name (issue 19 §3).
    assert event.summary == (
        "采用政策预设：保定市生态环境局采用《保定市 2021 年污染源“双随机、一公开”监管随机抽查工作计划》"
    )
    assert event.detail["单位设置"]["新建"]["publish_monthly"] is True
    # The province chose no preset: nothing adopted, no settings stored.
    assert not OrganisationSettings.objects.filter(organisation__code="130000").exists()


def test_the_administrator_choosing_a_preset_adopts_it(client, organisations, make_user):
    county = organisations["a"]
    client.force_login(make_user("admin-city", organisations["city"], Role.SYSADMIN))
    url = reverse("accounts:organisation_edit", args=[county.pk])
    form = {"name": county.name, "policy_preset": "zunhua-2024", "is_active": "on"}
    assert client.post(url, form).status_code == 302
    county.refresh_from_db()
    assert organisation_policy(county).preset == "zunhua-2024"
    assert adoptions(county) == 1
    # Saving it unchanged adopts nothing more and logs no adoption.
    assert client.post(url, form).status_code == 302
    assert adoptions(county) == 1
    # A new preset is frozen in its own copy; the settings the bureau has stay as they are.
    settings = OrganisationSettings.objects.get(organisation=county)
    assert client.post(url, {**form, "policy_preset": "baoding-2021"}).status_code == 302
    county.refresh_from_db()
    assert organisation_policy(county).preset == "baoding-2021"
    assert OrganisationPolicy.objects.filter(organisation=county).count() == 2
    assert OrganisationSettings.objects.get(organisation=county) == settings
    assert adoptions(county) == 2


def test_the_administrator_creating_an_organisation_adopts_its_preset(
    client, organisations, make_user
):
    client.force_login(make_user("admin-city", organisations["city"], Role.SYSADMIN))
    response = client.post(
        reverse("accounts:organisation_create"),
        {"parent": organisations["city"].pk, "code": "130284", "name": "滦州市分局",
         "policy_preset": "jiangxian-2025"},
    )  # fmt: skip
    assert response.status_code == 302
    policy = OrganisationPolicy.objects.get(organisation__code="130284")
    assert policy.preset == "jiangxian-2025"
    assert adoptions(policy.organisation) == 1


def test_who_adopts(organisations, make_user):
    county = chosen_not_adopted(organisations["a"], "zunhua-2024")
    for user in (
        make_user("leader", county, Role.LEADER),
        make_user("inspector", county, Role.INSPECTOR),
        make_user("other-coord", organisations["b"], Role.COORDINATOR),
        make_user("other-admin", organisations["b"], Role.SYSADMIN),
        make_user("city-coord", organisations["city"], Role.COORDINATOR),
    ):
        with pytest.raises(PermissionDenied):
            policy_adopt(actor=user, organisation=county)
    with pytest.raises(NoPolicy):
        organisation_policy(county)
    # The bureau's own 抽查管理员 adopts (and only once: a second call changes nothing).
    coordinator = make_user("coord", county, Role.COORDINATOR)
    adoption = policy_adopt(actor=coordinator, organisation=county)
    assert adoption.policy_created and adoption.settings_created
    assert organisation_policy(county) == adoption.policy
    again = policy_adopt(actor=make_user("admin-city", organisations["city"], Role.SYSADMIN),
                         organisation=county)  # fmt: skip
    assert not again.policy_created and not again.settings_created
    assert adoptions(county) == 1
    assert AuditEvent.objects.get(action="policy.adopt").actor == coordinator


def test_a_bureau_without_a_preset_has_nothing_to_adopt(organisations):
    with pytest.raises(NoPolicy, match="尚未设置政策预设"):
        policy_adopt(actor=None, organisation=organisations["a"])
    assert adoptions(organisations["a"]) == 0


@pytest.mark.django_db(transaction=True)
def test_the_migration_adopts_the_presets_chosen_before():
    from shuangsuiji.audit.services import audit_verify

    executor = MigrationExecutor(connection)
    before = [("bureau", "0001_initial")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Organisation = old.get_model("accounts", "Organisation")
    Policy = old.get_model("bureau", "OrganisationPolicy")
    province = Organisation.objects.create(code="130000", name="河北省生态环境厅", level=1,
                                           path="/1/")  # fmt: skip
    baoding = Organisation.objects.create(code="130600", name="保定市生态环境局", level=2,
                                          path="/1/2/", parent=province,
                                          policy_preset="baoding-2021")  # fmt: skip
    # Adopted at a first read long ago (text as then), its settings never read.
    zunhua = Organisation.objects.create(code="130281", name="遵化市分局", level=3,
                                         path="/1/3/", parent=province,
                                         policy_preset="zunhua-2024")  # fmt: skip
    Policy.objects.create(organisation=zunhua, preset="zunhua-2024", text="旧版原文")
    gone = Organisation.objects.create(code="130900", name="沧州市生态环境局", level=2,
                                       path="/1/4/", parent=province,
                                       policy_preset="no-such-plan")  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    policy = OrganisationPolicy.objects.get(organisation_id=baoding.pk)
    assert policy.preset == "baoding-2021" and "baoding-2021" in policy.text
    assert policy.history.get().history_type == "+"
    assert OrganisationPolicy.objects.get(organisation_id=zunhua.pk).text == "旧版原文"
    assert not OrganisationPolicy.objects.filter(organisation_id=gone.pk).exists()
    settings = {s.organisation_id: s for s in OrganisationSettings.objects.all()}
    assert set(settings) == {baoding.pk, zunhua.pk}
    assert settings[baoding.pk].publish_monthly is True
    assert settings[zunhua.pk].publish_monthly is False
    assert settings[baoding.pk].history.count() == 1
    events = list(AuditEvent.objects.filter(action="policy.adopt").order_by("id"))
    assert [(e.organisation_id, e.object_type, e.actor_name) for e in events] == [
        (baoding.pk, "bureau.organisationpolicy", "系统"),
        (zunhua.pk, "bureau.organisationsettings", "系统"),
    ]
    assert events[0].detail["方式"] == "数据迁移"
    count, broken, _ = audit_verify()
    assert count == 2 and broken is None


def test_the_coordinator_adopts_the_chosen_preset_from_the_policy_page(
    client, organisations, make_user
):
    """The 抽查管理员 adopts with a button on 政策预设 (one POST, audited); a 监督员 who reads
    the page is offered no button and cannot adopt by posting."""
    county = chosen_not_adopted(organisations["a"], "zunhua-2024")
    client.force_login(make_user("auditor", county, Role.AUDITOR))
    page = client.get(reverse("planning:policy")).content.decode()
    assert "采用本单位选定的政策预设" not in page
    client.post(reverse("planning:policy"), {"action": "adopt"})
    assert adoptions(county) == 0

    client.force_login(make_user("coord", county, Role.COORDINATOR))
    assert "采用本单位选定的政策预设" in client.get(reverse("planning:policy")).content.decode()
    response = client.post(reverse("planning:policy"), {"action": "adopt"}, follow=True)
    assert "已采用本单位选定的政策预设" in response.content.decode()
    assert organisation_policy(county).preset == "zunhua-2024"
    assert adoptions(county) == 1
