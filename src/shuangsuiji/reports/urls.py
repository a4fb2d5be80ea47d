from django.urls import path

from shuangsuiji.reports import views

app_name = "reports"

urlpatterns = [
    path("statistics/", views.statistics_page, name="statistics"),
    path("statistics.<str:fmt>", views.statistics_file, name="statistics_file"),
    path("rows/", views.figure_rows, name="rows"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/rows/", views.check_rows, name="check_rows"),
    path("dashboard.<str:fmt>", views.dashboard_file, name="dashboard_file"),
    path("plans/<int:pk>.<str:fmt>", views.plan_file, name="plan_file"),
    path("items.<str:fmt>", views.items_file, name="items_file"),
    path("archive/", views.archive_page, name="archive"),
    path("archive.xlsx", views.archive_file, name="archive_file"),
]
