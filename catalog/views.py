"""The learner's page of what they hold (`/account/access/`)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from catalog.sections import render_access_sections
from catalog.selectors import holdings


class MyAccessView(LoginRequiredMixin, TemplateView):
    template_name = "catalog/access.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["holdings"] = holdings(self.request.user)
        context["sections"] = render_access_sections(self.request.user)  # seats, …
        return context
