"""回访 (HJ-3.4 获嘉 三、（四）“对日常监管对象按照 10%的比例进行回访”): a verifiable sample."""

import datetime as dt
import hashlib
import json

import pytest
from django.core.exceptions import ValidationError

from shuangsuiji.acts.draws import draw_reveal
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.inspections.services import (
    RecordData,
    inspection_record_save,
    inspection_submit,
    revisit_record,
    revisit_sample,
)

from .conftest import REVEAL


def lp(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def spec_key(seed: bytes, draw_id: str, unit: str) -> bytes:
    """The spec's revisit key (docs/draw-spec.md "The revisit sample"), written out again from
    the spec, not from the engine."""
    message = b"SHUANGSUIJI-DRAW-v1" + b"REVISIT" + seed + lp(draw_id.encode()) + lp(unit.encode())
    return hashlib.sha256(message).digest()


def complete_all(s, draw):
    from django.utils import timezone

    from shuangsuiji.accounts.roles import Role

    for inspection in draw.inspections.filter(status=Inspection.Status.ASSIGNED):
        member = inspection.members.first().inspector
        user = type(s["inspector"]).objects.filter(username=member.certificate_no).first()
        if user is None:
            from shuangsuiji.accounts.services import user_create

            user, _ = user_create(actor=None, username=member.certificate_no, organisation=s["county"],
                                  roles=[Role.INSPECTOR], password="a-good-long-password-1")  # fmt: skip
        data = RecordData(checked_at=timezone.now(), method_used="书面检查", result_category="no_problem",
                          public_summary="未发现问题", determined_on=dt.date(2026, 11, 20))  # fmt: skip
        outcomes = {item.pk: ("pass", "") for item in inspection.items.all()}
        inspection_record_save(actor=user, inspection=inspection, data=data, outcomes=outcomes)
        inspection_submit(actor=user, inspection=inspection)


def test_revisit_sample_is_ten_percent_and_recomputable(setup):
    s = setup("huojia-2024")
    draw = s["inspection"].draw
    complete_all(s, draw)
    with pytest.raises(ValidationError, match="抽取公开后才能抽取回访对象"):
        revisit_sample(actor=s["coordinator"], draw=draw)
    draw = draw_reveal(actor=s["coordinator"], draw=draw, today=REVEAL)
    revisits = revisit_sample(actor=s["coordinator"], draw=draw)
    done = sorted(i.target.draw_id for i in draw.inspections.filter(status="done"))
    assert len(revisits) == -(-len(done) // 10)  # ceil(10% × completed)
    seed = bytes.fromhex(json.loads(draw.result)["seed"])
    expected = sorted(
        done,
        key=lambda u: (-int.from_bytes(spec_key(seed, draw.draw_id, u), "big"), u),
    )
    assert [r.inspection.target.draw_id for r in revisits] == expected[: len(revisits)]
    assert [r.rank for r in revisits] == list(range(1, len(revisits) + 1))
    with pytest.raises(ValidationError, match="已抽取过回访对象"):
        revisit_sample(actor=s["coordinator"], draw=draw)


def test_revisit_record_and_escalation(setup):
    s = setup("huojia-2024")
    draw = s["inspection"].draw
    complete_all(s, draw)
    draw = draw_reveal(actor=s["coordinator"], draw=draw, today=REVEAL)
    revisit = revisit_sample(actor=s["coordinator"], draw=draw)[0]
    with pytest.raises(ValidationError, match="写明移交情况"):
        revisit_record(actor=s["coordinator"], revisit=revisit, form="phone", done_on=dt.date(2026, 12, 1),
                       opinions="检查人员索要土特产", escalated=True)  # fmt: skip
    revisit = revisit_record(actor=s["coordinator"], revisit=revisit, form="phone", done_on=dt.date(2026, 12, 1),
                             opinions="检查人员索要土特产", escalated=True, escalation_note="已移交纪检监察组")  # fmt: skip
    assert revisit.get_form_display() == "电话回访" and revisit.escalated


def test_plans_without_a_revisit_ratio_say_so(setup):
    s = setup("zunhua-2024")
    draw = draw_reveal(actor=s["coordinator"], draw=s["inspection"].draw, today=REVEAL)
    with pytest.raises(ValidationError, match="本局方案未规定回访比例"):
        revisit_sample(actor=s["coordinator"], draw=draw)


def test_revisit_buttons_on_the_draw_page(setup, client):
    from django.urls import reverse

    s = setup("huojia-2024")
    draw = s["inspection"].draw
    complete_all(s, draw)
    draw = draw_reveal(actor=s["coordinator"], draw=draw, today=REVEAL)
    client.force_login(s["coordinator"])
    page = client.get(reverse("planning:draw_detail", args=[draw.pk])).content.decode()
    assert "抽取回访对象" in page
    client.post(reverse("inspections:revisit_sample", args=[draw.pk]))
    revisit = draw.revisits.first()
    client.post(reverse("inspections:revisit_record", args=[revisit.pk]),
                {"form": "survey", "done_on": "2026-12-01", "opinions": "满意"})  # fmt: skip
    revisit.refresh_from_db()
    assert (revisit.form, revisit.opinions) == ("survey", "满意")
    assert (
        "问卷调查" in client.get(reverse("planning:draw_detail", args=[draw.pk])).content.decode()
    )
