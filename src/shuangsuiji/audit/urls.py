from django.urls import path

from shuangsuiji.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("heads/", views.public_heads, name="heads"),
]
