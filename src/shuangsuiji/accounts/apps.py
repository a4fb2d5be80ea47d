from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "shuangsuiji.accounts"
    verbose_name = "单位与用户"

    def ready(self) -> None:
        from shuangsuiji.accounts.roles import roles_sync_handler

        # Groups and their permissions are data the code defines; re-sync after every migrate
        # so a new permission reaches existing databases without a hand-written data migration.
        post_migrate.connect(roles_sync_handler, sender=self)
