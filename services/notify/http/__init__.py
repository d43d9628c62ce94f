"""notify's HTTP entrypoints (mixins of NotifyService), the error → status table
(errors.py) and the request and response schemas (schemas.py)."""
