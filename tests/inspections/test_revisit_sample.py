"""revisit_sample (HJ-3.4 获嘉 三、（四）) is the spec's revisit sample, and its revisit.json verifies.

The service takes the draw's completed inspections and the plan's share and calls the pure
``shuangsuiji.draw.revisit.draw_revisit``; docs/draw-spec.md, "The revisit sample", says how.
"""

import datetime as dt
import hashlib
import json

from shuangsuiji.acts.draws import draw_reveal
from shuangsuiji.draw import dumps, verify
from shuangsuiji.draw.revisit import RevisitDraw, Revisited
from shuangsuiji.inspections.services import revisit_sample
from tests.inspections.test_revisits import complete_all

from .conftest import REVEAL


def spec_rkey(seed: bytes, draw_id: str, unit: str) -> bytes:
    """rkey, written out again from docs/draw-spec.md with hashlib."""

    def lp(data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + data

    message = b"SHUANGSUIJI-DRAW-v1" + b"REVISIT" + seed + lp(draw_id.encode()) + lp(unit.encode())
    return hashlib.sha256(message).digest()


def sampled(s):
    draw = s["inspection"].draw
    complete_all(s, draw)
    draw = draw_reveal(actor=s["coordinator"], draw=draw, today=REVEAL)
    return draw, revisit_sample(actor=s["coordinator"], draw=draw)


def test_the_sample_is_the_spec_sample(setup):
    draw, revisits = sampled(setup("huojia-2024"))
    done = sorted(i.target.draw_id for i in draw.inspections.filter(status="done"))
    seed = bytes.fromhex(json.loads(draw.result)["seed"])
    ranked = sorted(
        done, key=lambda u: (-int.from_bytes(spec_rkey(seed, draw.draw_id, u), "big"), u.encode())
    )
    k = (len(done) * 1 + 10 - 1) // 10  # 获嘉 10%, rounded up
    assert k >= 1
    assert [(r.rank, r.inspection.target.draw_id, r.key) for r in revisits] == [
        (rank, unit, spec_rkey(seed, draw.draw_id, unit).hex())
        for rank, unit in enumerate(ranked[:k], start=1)
    ]


def test_the_published_sample_verifies_and_a_tampered_one_does_not(setup):
    """revisit.json built from the stored sample passes `draw verify` on the draw's bundle."""
    draw, revisits = sampled(setup("huojia-2024"))
    candidates = tuple(sorted(i.target.draw_id for i in draw.inspections.filter(status="done")))
    published = RevisitDraw(
        draw_id=draw.draw_id,
        numerator=1,
        denominator=10,
        candidates=candidates,
        k=len(revisits),
        selected=tuple(Revisited(r.inspection.target.draw_id, bytes.fromhex(r.key)) for r in revisits),
    )  # fmt: skip
    files = {**draw.bundle_files(with_salt=True), "revisit.json": dumps(published.as_dict())}
    report = verify(files)
    assert report.ok, [str(c) for c in report.checks]
    assert f"✓ 回访名单 selected 一致（{len(revisits)} 项）" in [str(c) for c in report.checks]

    tampered = published.as_dict()
    tampered["k"] += 1
    files["revisit.json"] = dumps(tampered)
    report = verify(files)
    assert not report.ok
    assert [str(c) for c in report.checks if c.ok is False] == [
        f"✗ 回访数量 k 不一致：{len(candidates)} 项 × 1/10 向上取整应为 {len(revisits)}，"
        f"revisit.json 为 {len(revisits) + 1}"
    ]


def test_a_share_that_is_no_whole_percent_rounds_up(setup):
    """12.5% of the completed inspections is 1/8 exactly; the count is its ceiling."""
    from shuangsuiji.bureau.policies import organisation_policy, policy_value_set

    s = setup("huojia-2024")
    policy_value_set(actor=None, policy=organisation_policy(s["county"]), path="targets.revisit_share",
                     value={"min": "12.5%", "per": "quarter"}, since=dt.date(2024, 1, 1),
                     reason="局务会确定")  # fmt: skip
    draw, revisits = sampled(s)
    done = draw.inspections.filter(status="done").count()
    assert len(revisits) == -(-done // 8)


def test_the_sample_is_published_with_the_bundle_and_verifies(setup):
    """The 回访 list taken after reveal joins the draw's public files as revisit.json, and the
    public verification recomputes it."""
    draw, revisits = sampled(setup("huojia-2024"))
    draw.refresh_from_db()
    files = draw.public_files()
    assert "revisit.json" in files
    published = json.loads(files["revisit.json"])
    assert [s["id"] for s in published["selected"]] == [
        r.inspection.target.draw_id for r in revisits
    ]
    report = verify(files)
    assert report.ok
    assert any("revisit.json" in str(check) or "回访" in str(check) for check in report.checks)
