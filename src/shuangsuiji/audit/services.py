"""``audit_record``: every service that changes state calls it inside its own transaction, so
the entry exists exactly when the change does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from shuangsuiji.audit import chain
from shuangsuiji.audit.actions import ACTION_NAMES
from shuangsuiji.audit.models import AuditDailyHead, AuditEvent, AuditHead

# The log sits below accounts (accounts' services write to it), so it names the model by label.
ORGANISATION = "accounts.Organisation"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


#: The entries of a ``deferred`` block, appended when it ends (None outside one).
_deferred: ContextVar[list[AuditEvent] | None] = ContextVar("audit_deferred", default=None)


@transaction.atomic
def audit_record(
    *,
    actor,
    action: str,
    obj=None,
    organisation=None,
    summary: str,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one entry. ``actor`` None is the system (a command-line import, the demo).
    Inside ``deferred`` the entry is appended when the block ends (its id is given then)."""
    if organisation is None and obj is not None and obj._meta.label == ORGANISATION:
        organisation = obj
    if organisation is None and obj is not None:
        organisation = getattr(obj, "organisation", None)
    if organisation is None and actor is not None:
        organisation = getattr(actor, "organisation", None)
    actor_name = "系统" if actor is None else (getattr(actor, "display_name", "") or actor.username)
    event = AuditEvent(
        actor=actor,
        actor_name=actor_name[:150],
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:500],
        detail=_jsonable(detail or {}),
    )
    waiting = _deferred.get()
    if waiting is not None:
        waiting.append(event)
        return event
    return _append(event)


@contextmanager
def deferred():
    """One transaction whose services' entries are appended when it ends, in their order, and
    none if it raises (an act of several audited steps).

    The log is one chain: appending locks its head until the transaction ends. An inspector's
    保存并提交 locked it at the save, and every other writer in the province waited through the
    whole submission (issue 21 §3: the costliest wait under load); now only from the last write
    to the commit. The entries are the same, each in the transaction of its change. A block
    inside another leaves its entries to the outer one."""
    if _deferred.get() is not None:
        yield
        return
    waiting: list[AuditEvent] = []
    with transaction.atomic():
        token = _deferred.set(waiting)
        try:
            yield
        finally:
            _deferred.reset(token)
        for event in waiting:
            _append(event)


def _append(event: AuditEvent) -> AuditEvent:
    """Chain ``event`` to the log's head and store it, the head after it."""
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    now = timezone.now()
    event.id = head.last_id + 1
    event.occurred_at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    event.prev_hash = head.hash
    event.hash = chain.digest(head.hash, content(event))
    event.save(force_insert=True)
    if head.last_at and timezone.localdate(head.last_at) < timezone.localdate(now):
        # The first entry of a new day seals the last one's day: its head is kept apart.
        AuditDailyHead.objects.get_or_create(
            day=timezone.localdate(head.last_at),
            defaults={"last_id": head.last_id, "hash": head.hash},
        )
    head.last_id, head.hash, head.last_at = event.id, event.hash, event.occurred_at
    head.save(update_fields=["last_id", "hash", "last_at"])
    return event


def content(event: AuditEvent) -> dict:
    """The hashed content of an entry, as stored (times in UTC ISO form, millisecond precision so
    every database returns them unchanged)."""
    return {
        "id": event.id,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "detail": event.detail,
    }


def audit_verify(
    published: Iterable[chain.PublishedHead] = (),
) -> tuple[int, chain.Break | None, str]:
    """Walk the whole log (in chunks) against the recorded head, then hold it against every
    daily head kept by the platform and every one in ``published`` (a copy someone kept of the
    public page): an entry a published head covers must still be there with that hash, so a
    log wiped or cut back together with its head fails."""
    head = AuditHead.objects.filter(pk=1).first()
    entries = (
        {**content(e), "prev_hash": e.prev_hash, "hash": e.hash}
        for e in AuditEvent.objects.order_by("id").iterator(chunk_size=5000)
    )
    head_hash = head.hash if head else chain.GENESIS
    count, broken = chain.verify(entries, head_hash)
    if broken is not None:
        return count, broken, head_hash
    kept = [
        chain.PublishedHead(h.day, h.last_id, h.hash, "平台保存的每日链头")
        for h in AuditDailyHead.objects.order_by("day")
    ]
    heads = [*kept, *published]
    stored = dict(
        AuditEvent.objects.filter(id__in={h.last_id for h in heads}).values_list("id", "hash")
    )
    for published_head in heads:
        found = stored.get(published_head.last_id)
        if found == published_head.hash:
            continue
        what = (
            "已不在日志中（记录被删除或日志被清空）"
            if found is None
            else "哈希不符（该日及以前的记录被改写）"
        )
        return (
            count,
            chain.Break(
                published_head.last_id,
                f"{published_head.day:%Y-%m-%d} 的链头（{published_head.source}）所指的第 "
                f"{published_head.last_id} 条记录{what}",
            ),
            head_hash,
        )
    if count == 0 and apps.get_model(ORGANISATION).objects.exists():
        # Every organisation is created through an audited service: an empty log beside
        # organisations means the log was emptied.
        return count, chain.Break(1, "日志为空，但数据库中已有单位：审计记录被清空"), head_hash
    return count, None, head_hash


#: Never copied into the log: secrets and personal identifiers (the log is read by 监督员).
SECRET_FIELDS = {"salt", "password", "id_number", "phone", "roster", "conflicts", "pool", "result"}
LONG = 200


def snapshot(obj: models.Model | None) -> dict | None:
    """The object's own fields as they are in the database now, long texts shortened."""
    if obj is None or obj.pk is None:
        return None
    fresh = type(obj)._base_manager.filter(pk=obj.pk).first()
    if fresh is None:
        return None
    values = {}
    for f in fresh._meta.concrete_fields:
        if f.name in SECRET_FIELDS or isinstance(f, models.BinaryField):
            continue
        value = _jsonable(getattr(fresh, f.attname))
        if isinstance(value, str) and len(value) > LONG:
            value = value[:LONG] + "…"
        values[f.name] = value
    return values


def changes(before: dict | None, after: dict | None) -> dict:
    if before is None:
        return {"新建": after or {}}
    if after is None:
        return {"删除": before}
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def audited(
    action: str,
    label: str,
    *,
    subject: str | None = None,
    describe: Callable[[Any, dict], tuple[Any, str, dict]] | None = None,
):
    """Record the service's change in the log, in the service's transaction: ``subject`` names
    the keyword argument holding the object changed (its fields are compared before and after);
    ``describe(result, kwargs)`` returns (object, summary, detail) for services whose result is
    not the changed object. ``action`` must have its Chinese name in ``ACTION_NAMES``: the
    audit page shows and filters by that name."""
    if action not in ACTION_NAMES:
        raise ValueError(f"操作 {action} 没有中文名称：请在 shuangsuiji/audit/actions.py 中登记")

    def decorator(service):
        @wraps(service)
        def wrapper(*args, **kwargs):
            with transaction.atomic():
                changed = kwargs.get(subject) if subject else None
                before = snapshot(changed)
                result = service(*args, **kwargs)
                if describe is not None:
                    described = describe(result, kwargs)
                    if described is None:
                        return result
                    obj, summary, detail = described
                else:
                    obj = result if isinstance(result, models.Model) else changed
                    after = snapshot(obj)
                    summary = f"{label}：{obj}" if obj is not None else label
                    detail = {"变更": changes(before, after)}
                audit_record(
                    actor=kwargs.get("actor"), action=action, obj=obj, summary=summary,
                    detail=detail,
                )  # fmt: skip
                return result

        wrapper.audit_action = action
        return wrapper

    return decorator
