from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "shuangsuiji.planning"
    verbose_name = "抽查计划与政策"
