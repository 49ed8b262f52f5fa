"""Entitle's project package; the Celery app loads with Django, so tasks queue to its broker."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
