from django.urls import path

from shuangsuiji.disclosure import exchange_views

app_name = "exchange"

urlpatterns = [
    path("", exchange_views.batches, name="batches"),
    path("new/", exchange_views.create, name="create"),
    path("<int:pk>/<str:name>", exchange_views.batch_file, name="file"),
]
