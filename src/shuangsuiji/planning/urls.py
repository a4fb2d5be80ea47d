from django.urls import path

from shuangsuiji.bureau import views as calendar_views
from shuangsuiji.planning import participation_views, views, workflow_views

app_name = "planning"

urlpatterns = [
    path("policy/", views.policy_detail, name="policy"),
    path("policy/quarter/", views.policy_quarter, name="policy_quarter"),
    path("policy/edit/", views.policy_edit, name="policy_edit"),
    path("plans/", workflow_views.plan_list, name="plans"),
    path("plans/<int:pk>/", workflow_views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/submit/", workflow_views.plan_submit, name="plan_submit"),
    path("plans/<int:pk>/approve/", workflow_views.plan_approve, name="plan_approve"),
    path("plans/<int:pk>/return/", workflow_views.plan_return, name="plan_return"),
    path("plans/<int:pk>/publish/", workflow_views.plan_publish, name="plan_publish"),
    path("plans/<int:pk>/adjust/", workflow_views.plan_adjust, name="plan_adjust"),
    path("plans/<int:pk>/tasks/add/", workflow_views.task_add, name="task_add"),
    path("tasks/<int:pk>/edit/", workflow_views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/draw/", workflow_views.task_prepare, name="task_prepare"),
    path("draws/<int:pk>/", workflow_views.draw_detail, name="draw_detail"),
    path("draws/<int:pk>/reveal/", workflow_views.draw_reveal, name="draw_reveal"),
    path("draws/<int:pk>/abort/", workflow_views.draw_abort, name="draw_abort"),
    path("draws/<int:pk>/bundle.zip", workflow_views.draw_bundle, name="draw_bundle"),
    path(
        "inspections/<int:pk>/substitute/",
        workflow_views.inspection_substitute,
        name="inspection_substitute",
    ),
    path(
        "inspections/<int:pk>/assign/", workflow_views.inspection_assign, name="inspection_assign"
    ),
    path("conflicts/", workflow_views.conflict_list, name="conflicts"),
    path("participations/", participation_views.participation_list, name="participations"),
    path("tasks/<int:pk>/coverage/", workflow_views.task_coverage, name="task_coverage"),
    path("settings/", workflow_views.settings_edit, name="settings"),
    path("calendar/", calendar_views.calendar_edit, name="calendar"),
]
