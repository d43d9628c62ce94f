"""notify: channels, templates, deliveries with status and attempts, signed webhooks."""
