from django.urls import path

from shuangsuiji.reports import upward_views, views

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
    # 报送市局 (issue 20 §4): the 统计表 and register adjustments a 分局 sends its 市局.
    path("upward/", upward_views.upward_page, name="upward"),
    path("upward/submit/", upward_views.upward_submit, name="upward_submit"),
    path("upward/deadlines/", upward_views.upward_deadline, name="upward_deadline"),
    path("upward/<int:pk>/", upward_views.upward_detail, name="upward_detail"),
    path("upward/<int:pk>/table.xlsx", upward_views.upward_table_file, name="upward_table_file"),
    path(
        "upward/<int:pk>/adjustments.xlsx",
        upward_views.upward_adjustments_file,
        name="upward_adjustments_file",
    ),
    path("upward/<int:pk>/return/", upward_views.upward_return, name="upward_return"),
    path("upward/<int:pk>/accept/", upward_views.upward_accept, name="upward_accept"),
]
