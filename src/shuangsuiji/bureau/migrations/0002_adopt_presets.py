"""Adopt the preset of every bureau that chose one before adoption became an act (issue 16).

Until now a bureau's copy of its preset (``OrganisationPolicy``) and its settings were made by
the first page that read them, whoever read it (an anonymous visitor of the portal included),
and nothing was logged. From now on reads never write; this migration does once, for the
bureaus that have a preset but no copy of it, what ``bureau.services.policy_adopt`` does: it
freezes the preset text shipped with this release, makes the missing settings with the preset's
defaults, writes their change history and one audit entry per bureau (actor 系统).

A preset name that no longer exists is left alone: the bureau's pages say it has not adopted a
preset, and its 系统管理员 chooses one.
"""

import datetime as dt

from django.db import migrations
from django.utils import timezone

REASON = "采用政策预设（数据迁移）"


def _preset_settings(text, name, adjustments):
    """The settings the preset states (保定 二 每月公示), as ``preset_settings`` does."""
    from shuangsuiji.policy import PolicyError
    from shuangsuiji.policy.loader import Reference, load_preset_text

    try:
        preset = load_preset_text(text, f"{name}.yaml")
        for adjustment in adjustments:
            preset = preset.with_value(
                adjustment.path,
                adjustment.value,
                adjustment.since,
                Reference(document="", clause=""),
            )
        monthly = preset.targets.get("result_publication_monthly")
        value = monthly.at(timezone.localdate()).value if monthly else {}
    except PolicyError:
        return {}
    return {"publish_monthly": bool(value.get("enabled"))}


def _history(apps, model_name, obj, now):
    history = apps.get_model("bureau", f"Historical{model_name}")
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    history.objects.create(
        **values, history_date=now, history_type="+", history_change_reason=REASON
    )


def _audit(apps, *, organisation, obj, summary, detail):
    """One entry of the hash-chained log, appended as ``audit.services.audit_record`` does."""
    from shuangsuiji.audit import chain

    head_model = apps.get_model("audit", "AuditHead")
    event_model = apps.get_model("audit", "AuditEvent")
    daily_model = apps.get_model("audit", "AuditDailyHead")
    head, _ = head_model.objects.select_for_update().get_or_create(
        pk=1, defaults={"hash": chain.GENESIS}
    )
    now = timezone.now()
    event = event_model(
        id=head.last_id + 1,
        occurred_at=now.replace(microsecond=now.microsecond // 1000 * 1000),
        actor=None,
        actor_name="系统",
        organisation_id=organisation.pk,
        action="policy.adopt",
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:500],
        detail=detail,
        prev_hash=head.hash,
    )
    content = {
        "id": event.id,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        "actor_id": None,
        "actor_name": event.actor_name,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "detail": event.detail,
    }
    event.hash = chain.digest(head.hash, content)
    event.save(force_insert=True)
    if head.last_at and timezone.localdate(head.last_at) < timezone.localdate(now):
        daily_model.objects.get_or_create(
            day=timezone.localdate(head.last_at),
            defaults={"last_id": head.last_id, "hash": head.hash},
        )
    head.last_id, head.hash, head.last_at = event.id, event.hash, event.occurred_at
    head.save(update_fields=["last_id", "hash", "last_at"])


def adopt(apps, schema_editor):
    from shuangsuiji.policy import PolicyError
    from shuangsuiji.policy.loader import PRESET_DIR, load_preset_text

    organisation_model = apps.get_model("accounts", "Organisation")
    policy_model = apps.get_model("bureau", "OrganisationPolicy")
    settings_model = apps.get_model("bureau", "OrganisationSettings")
    adjustment_model = apps.get_model("bureau", "PolicyAdjustment")
    for organisation in organisation_model.objects.exclude(policy_preset="").order_by("pk"):
        name = organisation.policy_preset
        policy = policy_model.objects.filter(organisation=organisation, preset=name).first()
        policy_created = policy is None
        if policy_created:
            path = PRESET_DIR / f"{name}.yaml"
            if not path.exists():
                continue
            text = path.read_text(encoding="utf-8")
            try:
                if load_preset_text(text, path.name).name != name:
                    continue
            except PolicyError:
                continue
            policy = policy_model.objects.create(organisation=organisation, preset=name, text=text)
        now = timezone.now()
        if policy_created:
            _history(apps, "OrganisationPolicy", policy, now)
        settings = None
        if not settings_model.objects.filter(organisation=organisation).exists():
            adjustments = adjustment_model.objects.filter(policy=policy).order_by(
                "created_at", "pk"
            )
            settings = settings_model.objects.create(
                organisation=organisation, **_preset_settings(policy.text, name, adjustments)
            )
            _history(apps, "OrganisationSettings", settings, now)
        if not policy_created and settings is None:
            continue
        detail = {
            "政策预设": name,
            "预设": "冻结预设原文" if policy_created else "已采用",
            "方式": "数据迁移",
        }
        if settings is not None:
            detail["单位设置"] = {
                "新建": {
                    f.name: getattr(settings, f.attname)
                    for f in settings._meta.concrete_fields
                    if f.name != "id"
                }
            }
        _audit(
            apps,
            organisation=organisation,
            obj=policy if policy_created else settings,
            summary=f"采用政策预设：{organisation.name}采用“{name}”",
            detail=detail,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("audit", "0003_daily_heads"),
        ("bureau", "0001_initial"),
        ("planning", "0006_bureau_models_moved"),
    ]

    operations = [
        # Adoption stays when migrating back: the rows are valid in the earlier state too.
        migrations.RunPython(adopt, migrations.RunPython.noop),
    ]
