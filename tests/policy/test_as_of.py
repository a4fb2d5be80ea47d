"""A draw knows only the records dated on or before its day (JX-4.5.x 上级已检查未发现问题)."""

import datetime as dt

from shuangsuiji.policy import Quarter, classify, load_preset
from shuangsuiji.policy.engine import EventRecord, TargetRecord

FIELDS = {"对象类型": "排污单位", "重点排污单位": "否", "经营状态": "存续"}


def test_higher_level_record_after_the_draw_day_does_not_exclude():
    """JX-4.5.x 四、（五）“同一年度中已由上级抽查且未发现生态环境问题的，可在随机抽查时予以剔除”."""
    preset = load_preset("jiangxian-2025")
    target = TargetRecord(id="A", credit_code="A", name="甲", fields=FIELDS)
    event = EventRecord("A", "上级检查未发现问题", dt.date(2025, 5, 20), "运城市局检查")
    quarter = Quarter(2025, 2)
    [on_draw_day] = classify(preset, [target], [event], quarter, as_of=dt.date(2025, 4, 3))
    assert on_draw_day.eligible is True
    [later] = classify(preset, [target], [event], quarter, as_of=dt.date(2025, 6, 1))
    assert later.eligible is False
    assert later.reason == "上级已检查未发现问题（上级检查未发现问题 2025-05-20，运城市局检查）"
    [default] = classify(preset, [target], [event], quarter)  # default: the quarter's end
    assert default.eligible is False
