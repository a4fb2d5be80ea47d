from django.urls import path

from shuangsuiji.disclosure import views

app_name = "disclosure"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("enterprise/<str:credit_code>/", views.enterprise, name="enterprise"),
    path("org/<str:code>/", views.organisation, name="organisation"),
    path("org/<str:code>/policy/", views.policy, name="policy"),
    path(
        "org/<str:code>/policy/documents/<int:pk>/",
        views.plan_document_file,
        name="plan_document",
    ),
    path("org/<str:code>/items/", views.items, name="items"),
    path("org/<str:code>/targets/", views.targets, name="targets"),
    path("org/<str:code>/inspectors/", views.inspectors, name="inspectors"),
    path("org/<str:code>/results/", views.results, name="results"),
    path("org/<str:code>/results.xlsx", views.results_xlsx, name="results_xlsx"),
    path("org/<str:code>/plans/<int:year>/v<int:version>/", views.plan_revision, name="plan"),
    path("draws/<str:draw_id>/", views.draw, name="draw"),
    path("draws/<str:draw_id>/bundle.zip", views.draw_bundle, name="draw_bundle"),
    path("draws/<str:draw_id>/files/<str:name>", views.draw_file, name="draw_file"),
]
