from django.urls import path

from shuangsuiji.bureau import document_views

app_name = "bureau"

urlpatterns = [
    path("plan-documents/", document_views.plan_document_list, name="plan_documents"),
    path(
        "plan-documents/upload/", document_views.plan_document_upload, name="plan_document_upload"
    ),
    path(
        "plan-documents/<int:pk>/withdraw/",
        document_views.plan_document_withdraw,
        name="plan_document_withdraw",
    ),
    path(
        "plan-documents/<int:pk>/file/",
        document_views.plan_document_file,
        name="plan_document_file",
    ),
]
