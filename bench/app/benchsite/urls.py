from django.urls import path

from benchapp import views

urlpatterns = [
    path("op/", views.op),
]
