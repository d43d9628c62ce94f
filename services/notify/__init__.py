"""notify: how the system reaches staff, volunteers, residents and the hotline, and how they
answer it — channels, routing, templates, deliveries with retries, action links, alerts."""
