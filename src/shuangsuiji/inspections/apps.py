from django.apps import AppConfig


def unrevealed_entries(user):
    """Audit entries about the inspections of a draw whose list is still secret, in the bureaus
    below ``user``'s: their summaries name the target (JX-6.4; docs/security.md)."""
    from django.db.models import CharField, Q
    from django.db.models.functions import Cast

    from shuangsuiji.inspections.models import ON_SECRET_LIST, Attachment, FollowUp, Inspection

    secret = Inspection.objects.of_organisation(user.organisation, with_descendants=True).filter(
        ON_SECRET_LIST
    )

    def keys(model, field: str):
        rows = model.objects.filter(**{f"{field}__in": secret.values("pk")}) if field else secret
        return rows.annotate(key=Cast("pk", CharField())).values("key")

    return (
        Q(object_type="inspections.inspection", object_id__in=keys(Inspection, ""))
        | Q(object_type="inspections.attachment", object_id__in=keys(Attachment, "inspection"))
        | Q(object_type="inspections.followup", object_id__in=keys(FollowUp, "inspection"))
    )


class InspectionsConfig(AppConfig):
    name = "shuangsuiji.inspections"
    verbose_name = "检查"

    def ready(self) -> None:
        from shuangsuiji.audit.models import WITHHELD_FROM_ABOVE

        if unrevealed_entries not in WITHHELD_FROM_ABOVE:
            WITHHELD_FROM_ABOVE.append(unrevealed_entries)
