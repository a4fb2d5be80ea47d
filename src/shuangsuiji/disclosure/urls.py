from django.urls import path

from shuangsuiji.disclosure import views

app_name = "disclosure"

urlpatterns = [
    path("", views.index, name="index"),
    path("org/<str:code>/", views.organisation, name="organisation"),
    path("org/<str:code>/plans/<int:year>/v<int:version>/", views.plan_revision, name="plan"),
    path("draws/<str:draw_id>/", views.draw, name="draw"),
    path("draws/<str:draw_id>/bundle.zip", views.draw_bundle, name="draw_bundle"),
    path("draws/<str:draw_id>/files/<str:name>", views.draw_file, name="draw_file"),
]
