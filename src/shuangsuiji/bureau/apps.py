from django.apps import AppConfig


class BureauConfig(AppConfig):
    name = "shuangsuiji.bureau"
    verbose_name = "单位政策、设置与工作日历"
