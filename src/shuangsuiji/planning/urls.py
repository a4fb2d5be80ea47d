from django.urls import path

from shuangsuiji.planning import views

app_name = "planning"

urlpatterns = [
    path("policy/", views.policy_detail, name="policy"),
    path("policy/quarter/", views.policy_quarter, name="policy_quarter"),
]
