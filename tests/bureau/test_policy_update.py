"""A bureau takes up a newer release's preset text by an explicit, audited act.

The copy is frozen at adoption so that no upgrade changes a bureau's rules behind its back. A 绛县
bureau adopted before this release has no no-repeat classes (四、（五）1–2, JX-4.5.1b/2b) and no
信用风险 grading (四、（五）, JX-4.5.r): its 抽查管理员 sees what differs and adopts the new text,
keeping the bureau's own adjustments.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.bureau.models import OrganisationPolicy
from shuangsuiji.bureau.policies import effective_preset, organisation_policy, policy_value_set
from shuangsuiji.bureau.services import policy_update, release_changes
from tests.support.tree import adopt_preset


def older_copy(policy: OrganisationPolicy) -> None:
    """The text as an earlier release froze it: no ``no_repeat``, no ``grading``."""
    text = re.sub(r"    no_repeat:\n(      .*\n)+", "", policy.text)
    text = re.sub(r"\ngrading:\n(  .*\n)+", "\n", text)
    OrganisationPolicy.objects.filter(pk=policy.pk).update(text=text)


@pytest.fixture
def county(organisations):
    county = organisations["a"]
    adopt_preset(county, "jiangxian-2025")
    older_copy(organisation_policy(county))
    return county


def test_the_bureau_sees_what_differs_and_keeps_its_rules_until_it_acts(county):
    policy = organisation_policy(county)
    assert release_changes(policy) == [
        "classes.GENERAL.no_repeat",
        "classes.KEY.no_repeat",
        "grading",
    ]
    preset = effective_preset(policy)
    assert preset.class_rule("KEY").no_repeat is None and preset.grading is None


def test_adopting_the_new_text_keeps_adjustments_and_is_audited(county, make_user):
    coordinator = make_user("jx-coord", county, Role.COORDINATOR)
    policy = organisation_policy(county)
    policy_value_set(actor=coordinator, policy=policy, path="classes.SPECIAL.quota",
                     value={"ratio": "40%"}, since=dt.date(2025, 7, 1), reason="局务会")  # fmt: skip
    update = policy_update(actor=coordinator, organisation=county)
    assert update.changed == ["classes.GENERAL.no_repeat", "classes.KEY.no_repeat", "grading"]
    preset = effective_preset(organisation_policy(county))
    assert preset.class_rule("KEY").no_repeat.at(dt.date(2025, 1, 1)).value is True
    assert preset.class_rule("SPECIAL").quota.at(dt.date(2025, 7, 1)).value == {"ratio": "40%"}
    event = AuditEvent.objects.filter(action="policy.update").get()
    assert event.summary == f"采用新版预设原文：{county.name}“jiangxian-2025”"
    assert event.detail["变化的参数"] == update.changed
    assert release_changes(organisation_policy(county)) == []
    with pytest.raises(ValidationError) as again:
        policy_update(actor=coordinator, organisation=county)
    assert "无需更新" in str(again.value)


def test_the_policy_page_offers_it_to_the_coordinator_only(county, make_user, client):
    coordinator = make_user("jx-coord", county, Role.COORDINATOR)
    leader = make_user("jx-leader", county, Role.LEADER)
    url = reverse("planning:policy")
    client.force_login(leader)
    page = client.get(url).content.decode()
    assert "本版软件带有更新的预设原文" in page and "采用新版预设原文</button>" not in page
    client.force_login(coordinator)
    assert "采用新版预设原文</button>" in client.get(url).content.decode()
    response = client.post(url, {"action": "update"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="policy.update").count() == 1
    assert "本版软件带有更新的预设原文" not in client.get(url).content.decode()
