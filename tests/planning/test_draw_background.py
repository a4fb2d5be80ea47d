"""A draw of a large pool is drawn by the worker (issue 21 §5 “大池抽取……作为后台任务运行，页面显示
进度，进程被杀后能恢复”): above SHUANGSUIJI_DRAW_BACKGROUND_CANDIDATES the coordinator's values
are checked and recorded and the task queued in one transaction, the draw shows 抽取中, and the
worker's run draws the very bytes the request would have, creating the inspections once however
often it runs. Below the threshold the draw stays in the request, as before.

The county of tests/support/county.py has 240 candidates in its Q4 pool: a threshold of 100 makes
its draw a large one."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from shuangsuiji import draw as engine
from shuangsuiji.accounts.roles import Role
from shuangsuiji.acts.draws import draw_abort, draw_commit, draw_execute, draw_finish
from shuangsuiji.directory import tasks
from shuangsuiji.directory.models import TaskWorker
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.planning.models import Draw
from tests.support.county import build_county
from tests.support.tree import build_organisations, make_user

from .conftest import REVEAL, SOURCES, VALUES

SELECTED = 17  # the Q4 draw's quotas: 特殊 1 + 重点 10 + 一般 6 (test_draw_flow.py)
QUEUED = "正在排队等待后台任务进程"
NO_WORKER = "后台任务进程没有在运行"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The 遵化-like county with its published 2026 plan; its 抽查管理员, 领导 and an 执法人员,
    the 市局's 抽查管理员 above it and the neighbouring branch's. Built once, rolled back."""
    from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit

    with django_db_blocker.unblock(), transaction.atomic():
        organisations = build_organisations()
        county = build_county(organisations["a"])
        coordinator = make_user("bg-coord", county, Role.COORDINATOR)
        leader = make_user("bg-leader", county, Role.LEADER)
        plan = plan_generate(actor=coordinator, organisation=county, year=2026)
        plan_submit(actor=None, plan=plan)
        plan_approve(actor=leader, plan=plan)
        plan = plan_publish(actor=coordinator, plan=plan)
        try:
            yield SimpleNamespace(
                task=plan.tasks.get(quarter=4),
                coordinator=coordinator,
                leader=leader,
                inspector=make_user("bg-inspector", county, Role.INSPECTOR),
                city=make_user("bg-city", organisations["city"], Role.COORDINATOR),
                neighbour=make_user("bg-neighbour", organisations["b"], Role.COORDINATOR),
            )
        finally:
            transaction.set_rollback(True)


@pytest.fixture
def large(settings):
    """Every pool above 100 candidates is large; a worker process runs (the page waits for it)."""
    settings.SHUANGSUIJI_DRAW_BACKGROUND_CANDIDATES = 100
    settings.SHUANGSUIJI_BACKGROUND_IMPORTS = True
    return settings


@pytest.fixture
def committed(db, world):
    return draw_commit(actor=world.coordinator, task=world.task, sources=SOURCES, reveal_on=REVEAL)


def url(draw: Draw) -> str:
    return reverse("planning:draw_detail", args=[draw.pk])


BACKGROUND_NOTICE = "本次对象库较大，确认后由后台任务进程计算名单并生成检查任务"


def enter_values(client, user, draw: Draw, values=VALUES, *, background: bool = False):
    """The coordinator's two steps: the values, then “确认取值并抽取” (the confirmation says
    whether the worker will draw)."""
    client.force_login(user)
    form = {"value_0": values[0], "value_1": values[1]}
    confirmation = client.post(url(draw), form).content.decode()
    assert "确认取值并抽取" in confirmation
    assert (BACKGROUND_NOTICE in confirmation) == background
    return client.post(url(draw), {**form, "confirm": "1"})


def page(client, draw: Draw, **headers) -> str:
    response = client.get(url(draw), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def draw_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith=".draw_finish"))


def same_bundle_in_the_request(draw: Draw) -> bytes:
    """What the request computes for a small pool, from the very files the draw holds."""
    files = draw.bundle_files(with_salt=True)
    files.pop("result.json", None)
    return engine.compute(engine.parse_bundle(files, engine.DRAW_INPUTS)).dumps()


def a_gone_pid() -> int:
    """The id of a process of this machine that has ended (and been reaped)."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(ended.stdout)


def test_a_pool_below_the_threshold_is_drawn_within_the_request(committed, world, client):
    """Issue 21 §5: a county's draw stays as it was — drawn, 17 inspections, nothing queued."""
    response = enter_values(client, world.coordinator, committed)
    assert response.status_code == 302
    committed.refresh_from_db()
    assert committed.status == Draw.Status.DRAWN and committed.background_task == ""
    assert committed.inspections.count() == SELECTED
    assert draw_tasks() == []
    text = page(client, committed)
    assert "抽取完成" in text and "保密，检查结束后公开" in text and "抽取中" not in text


def test_a_large_pool_is_queued_shows_drawing_and_the_worker_draws_it_once(
    committed, world, client, large
):
    """Values recorded and task queued together; the page says 抽取中 and where it stands; the
    worker's run gives the bytes the request would have given, and 17 inspections, once."""
    response = enter_values(client, world.coordinator, committed, background=True)
    assert response.status_code == 302 and response["Location"] == url(committed)
    draw = Draw.objects.get(pk=committed.pk)
    assert draw.status == Draw.Status.DRAWING and draw.result == ""
    assert [s.value for s in draw.sources.all()] == VALUES  # recorded: irreversible
    assert draw.entropy and draw.drawn_by == world.coordinator
    (queued,) = draw_tasks()
    assert str(queued.pk).replace("-", "") == draw.background_task.replace("-", "")
    assert queued.status == TaskResultStatus.READY and not draw.inspections.exists()

    text = page(client, draw)
    assert "状态：<strong>抽取中</strong>" in text and "随机源取值已录入，不能再更改" in text
    assert QUEUED in text and NO_WORKER in text  # no worker has been heard from
    assert "录入随机源取值并抽取" not in text and "作废本次抽取…" in text
    partial = client.get(url(draw), headers={"HX-Request": "true"})
    assert partial.status_code == 200 and QUEUED in partial.content.decode()
    assert "<h1>" not in partial.content.decode()  # the progress alone, polled

    tasks.task_run_now(draw.background_task)
    draw.refresh_from_db()
    assert draw.status == Draw.Status.DRAWN and draw.drawn_at is not None
    assert draw.result.encode() == same_bundle_in_the_request(draw)
    assert draw.inspections.count() == SELECTED
    assert DBTaskResult.objects.get(pk=queued.pk).status == TaskResultStatus.SUCCESSFUL
    assert engine.verify(draw.bundle_files(with_salt=True)).ok

    done = client.get(url(draw), headers={"HX-Request": "true"})
    assert done.status_code == 204 and done["HX-Refresh"] == "true"  # the whole page again
    text = page(client, draw)
    assert "保密，检查结束后公开" in text and "抽取中" not in text


def test_a_run_after_a_killed_worker_draws_the_same_and_creates_nothing_twice(
    committed, world, client, large
):
    """The worker's process died mid-draw (its row stays, its pid is gone): recovery queues the
    task again, the page says it waits, the rerun draws; a further run changes nothing."""
    enter_values(client, world.coordinator, committed, background=True)
    draw = Draw.objects.get(pk=committed.pk)
    TaskWorker.objects.create(worker_id="worker:dead:1:abcdefgh", hostname=os.uname().nodename,
                              pid=a_gone_pid(), seen_at=timezone.now())  # fmt: skip
    DBTaskResult.objects.get(pk=draw.background_task).claim("worker:dead:1:abcdefgh")
    Draw.objects.filter(pk=draw.pk).update(drawing_step=Draw.Step.COMPUTE)
    assert "正在计算随机种子、抽取并匹配检查组" in page(client, draw)

    assert tasks.tasks_recover() == 1
    assert QUEUED in page(client, draw)
    tasks.task_run_now(draw.background_task)
    draw.refresh_from_db()
    first = draw.result
    assert draw.status == Draw.Status.DRAWN and draw.inspections.count() == SELECTED

    # Killed after its transaction committed but before its end was recorded: run again.
    assert draw_finish.call(draw.pk) == Draw.Status.DRAWN
    draw.refresh_from_db()
    assert draw.result == first and draw.inspections.count() == SELECTED
    assert len(draw_tasks()) == 1
    (run,) = draw_tasks()
    assert len(run.worker_ids) == 2  # claimed by the dead worker, then by the rerun


def test_invalid_values_are_refused_and_nothing_is_queued(committed, world, client, large):
    """The checks of a small draw, with the same Chinese message, before anything is recorded."""
    client.force_login(world.coordinator)
    response = client.post(
        url(committed), {"value_0": "3 7 12 19 25 31 + 9", "value_1": "20261122", "confirm": "1"}
    )
    text = response.content.decode()
    assert "是否应为：3.7.12.19.25.31./9./" in text
    committed.refresh_from_db()
    assert committed.status == Draw.Status.COMMITTED and committed.entropy == ""
    assert [s.value for s in committed.sources.all()] == ["", ""]
    assert draw_tasks() == []


def test_values_cannot_be_entered_twice_nor_by_another_role_or_bureau(
    committed, world, client, large
):
    """Irreversible: a second submission is refused (抽取中), one task stays queued. Only the
    bureau's own 抽查管理员 enters values; the 市局 sees that it is 抽取中, not the list."""
    for user in (world.leader, world.city):
        with pytest.raises(PermissionDenied):
            draw_execute(actor=user, draw=committed, values=VALUES)
        client.force_login(user)
        form = {"value_0": VALUES[0], "value_1": VALUES[1], "confirm": "1"}
        assert client.post(url(committed), form).status_code == 403
    client.force_login(world.neighbour)
    assert client.get(url(committed)).status_code == 404
    client.force_login(world.inspector)
    assert client.get(url(committed)).status_code == 403
    assert draw_tasks() == []

    draw = draw_execute(actor=world.coordinator, draw=committed, values=VALUES)
    assert draw.status == Draw.Status.DRAWING
    with pytest.raises(ValidationError, match="该抽取当前为“抽取中”，不能再次抽取。"):
        draw_execute(actor=world.coordinator, draw=draw, values=VALUES)
    assert len(draw_tasks()) == 1

    client.force_login(world.city)
    text = page(client, draw)
    assert "抽取中" in text and "录入随机源取值并抽取" not in text and "作废本次抽取" not in text


def test_an_abort_while_drawing_stops_the_worker_from_creating_anything(
    committed, world, client, large
):
    """作废 as for a drawn draw: the salt is public, the values decide what anyone recomputes,
    and the worker's run, finding the draw aborted, writes no result and no inspection."""
    draw = draw_execute(actor=world.coordinator, draw=committed, values=VALUES)
    client.force_login(world.coordinator)
    abort_page = client.get(reverse("planning:draw_abort", args=[draw.pk])).content.decode()
    assert "后台抽取随即停止" in abort_page and 'name="confirm"' in abort_page
    draw = draw_abort(actor=world.coordinator, draw=draw, reason="随机源当期停售")
    assert draw.status == Draw.Status.ABORTED and draw.salt_public and draw.verified is True
    tasks.task_run_now(draw.background_task)
    draw.refresh_from_db()
    assert draw.status == Draw.Status.ABORTED and draw.result == ""
    assert not Inspection.objects.filter(draw=draw).exists()


def test_the_public_sees_a_drawing_draw_as_a_committed_one(committed, world, client, large):
    """Nothing of the values or the list before reveal: the portal's page and the API say what
    they say of a draw committed and not yet drawn."""
    before = client.get(reverse("disclosure:draw", args=[committed.draw_id])).content.decode()
    draw = draw_execute(actor=world.coordinator, draw=committed, values=VALUES)
    client.logout()
    text = client.get(reverse("disclosure:draw", args=[draw.draw_id])).content.decode()
    assert "名单将于检查结束后公开" in text
    for value in VALUES:
        assert value not in text
    assert "抽取中" not in text and "drawing" not in text
    assert text.count("名单将于检查结束后公开") == before.count("名单将于检查结束后公开")
    listed = client.get("/api/draws", {"organisation": draw.organisation.code}).json()
    (row,) = [r for r in listed["results"] if r["draw_id"] == draw.draw_id]
    assert row["status_label"] == "名单将于检查结束后公开"


def test_a_draw_whose_task_broke_says_so_and_can_be_aborted(
    committed, world, client, large, monkeypatch
):
    """An error in the worker's run (here, the computation raising) ends the task failed: the
    draw stays 抽取中 with nothing half-written, and its page says what to do instead of
    waiting for ever."""
    from shuangsuiji.planning import draws as planning

    def broken(draw):
        raise RuntimeError("磁盘读取失败")

    monkeypatch.setattr(planning, "draw_result", broken)
    draw = draw_execute(actor=world.coordinator, draw=committed, values=VALUES)
    tasks.task_run_now(draw.background_task)
    draw.refresh_from_db()
    assert draw.status == Draw.Status.DRAWING and draw.result == ""
    assert not draw.inspections.exists()
    client.force_login(world.coordinator)
    text = page(client, draw)
    assert "后台抽取出错，未生成名单" in text and "作废本次抽取…" in text
