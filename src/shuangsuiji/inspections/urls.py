from django.urls import path

from shuangsuiji.inspections import views

app_name = "inspections"

urlpatterns = [
    path("mine/", views.my_inspections, name="mine"),
    path("targeted/new/", views.targeted_new, name="targeted_new"),
    path("<int:pk>/", views.inspection_detail, name="detail"),
]
