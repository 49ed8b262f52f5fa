"""Entitle's URLs plus the bench-only views under /bench/ (bench.settings selects this)."""

from django.urls import path

from bench import views
from config.urls import handler400, handler404, handler500
from config.urls import urlpatterns as entitle_urlpatterns

urlpatterns = [
    path("bench/hello", views.hello),
    path("bench/ceiling/redeem", views.ceiling_redeem),
    *entitle_urlpatterns,
]

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]
