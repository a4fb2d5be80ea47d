from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_version_triggers(using, **kwargs) -> None:
    from django.db import connections

    from shuangsuiji.disclosure.versions import triggers_install

    triggers_install(connections[using])


class DisclosureConfig(AppConfig):
    name = "shuangsuiji.disclosure"
    verbose_name = "公开门户"

    def ready(self) -> None:
        # After every migrate, not in a migration: Django rebuilds an SQLite table to alter a
        # column, which drops its triggers, and a table added later needs its own
        # (disclosure/versions.py).
        post_migrate.connect(_install_version_triggers, sender=self)
