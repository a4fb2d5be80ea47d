from django.urls import path

from shuangsuiji.inspections import part_views, views

app_name = "inspections"

urlpatterns = [
    path("mine/", views.my_inspections, name="mine"),
    path("parts/", part_views.part_list, name="parts"),
    path("parts/<int:pk>/", part_views.part_detail, name="part"),
    path("shared/", part_views.shared_results, name="shared"),
    path("targeted/new/", views.targeted_new, name="targeted_new"),
    path("<int:pk>/", views.inspection_detail, name="detail"),
    path("<int:pk>/record/", views.record, name="record"),
    path("<int:pk>/checklist.pdf", views.checklist_pdf, name="checklist_pdf"),
    path("<int:pk>/letters/", views.letters, name="letters"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment_file, name="attachment"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/assistants/", views.assistant_add, name="assistant_add"),
    path(
        "<int:pk>/assistants/<int:assistant_id>/remove/",
        views.assistant_remove,
        name="assistant_remove",
    ),
    path("<int:pk>/follow-ups/", views.follow_up_open_view, name="follow_up_open"),
    path(
        "<int:pk>/follow-ups/<int:follow_up_id>/close/",
        views.follow_up_close_view,
        name="follow_up_close",
    ),
    path("overdue/", views.overdue, name="overdue"),
    path("publication/", views.publication, name="publication"),
    path("<int:pk>/release/", views.release, name="release"),
    path("draws/<int:draw_pk>/revisits/", views.revisit_sample_view, name="revisit_sample"),
    path("revisits/<int:pk>/", views.revisit_record_view, name="revisit_record"),
]
