from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DirectoryConfig(AppConfig):
    name = "shuangsuiji.directory"
    verbose_name = "一单两库"

    def ready(self) -> None:
        from shuangsuiji.directory.search import repair_after_migrate

        # Django rebuilds an SQLite table to alter a column, which drops the triggers that keep
        # the name-search index (directory/search.py) in step; put them back after every migrate.
        post_migrate.connect(repair_after_migrate, sender=self)
