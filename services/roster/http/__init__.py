"""Roster's HTTP entrypoints (mixins of the nameko class), their error → status table
and their request and response schemas."""
