"""The HTTP entrypoints of the cases service (mixins of the nameko class), the error →
status table, the request and response schemas, and what an answer shows of a case."""
