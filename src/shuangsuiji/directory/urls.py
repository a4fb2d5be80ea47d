from django.urls import path

from shuangsuiji.directory import views

app_name = "directory"

urlpatterns = [
    path("imports/<int:pk>/", views.import_batch, name="import_batch"),
    path("imports/<int:pk>/apply/", views.import_apply, name="import_apply"),
    path("imports/<int:pk>/abandon/", views.import_abandon, name="import_abandon"),
    path("imports/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
    path("items/compare/", views.items_compare, name="items_compare"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/file.xlsx", views.export_file, name="export_file"),
    path("<str:register>/", views.register_list, name="list"),
    path("<str:register>/new/", views.record_edit, name="create"),
    path("<str:register>/import/", views.import_upload, name="import"),
    path("<str:register>/export.xlsx", views.register_export, name="export"),
    path("<str:register>/template.xlsx", views.register_template, name="template"),
    path("<str:register>/<int:pk>/", views.record_detail, name="detail"),
    path("<str:register>/<int:pk>/edit/", views.record_edit, name="edit"),
    path("<str:register>/<int:pk>/reveal/", views.record_reveal, name="reveal"),
    path("<str:register>/<int:pk>/remove/", views.record_remove, name="remove"),
]
