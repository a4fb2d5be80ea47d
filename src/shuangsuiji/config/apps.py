from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project's own system checks (``manage check --deploy``)."""

    name = "shuangsuiji.config"
    label = "shuangsuiji_config"

    def ready(self) -> None:
        from shuangsuiji.config import staticfiles  # noqa: F401  (registers its check)
