"""`{% dashboard %}`: the staff dashboard (`core.dashboard`) on the admin home page."""

from django import template

from core.dashboard import render_dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard(context):
    return render_dashboard(context["request"])
