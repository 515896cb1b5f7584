"""URLs: one endpoint, plus a health check; anything else is a JSON 404."""

from django.urls import path, re_path

from bridge import views

urlpatterns = [
    # Any text after the slash reaches the view, so an empty or malformed id
    # gets a 400 that says why rather than a bare 404.
    re_path(r"(?s)^inquiry/(?P<inquiry_id>.*)$", views.inquiry),
    path("health", views.health),
]

handler404 = "bridge.views.not_found"
handler500 = "bridge.views.server_error"
