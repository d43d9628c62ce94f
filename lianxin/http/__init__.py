"""HTTP for the outside world: one entrypoint pipeline for every route.

The entrypoint (authenticate, read and check the input, run the worker, map errors to
statuses, count and log), its error table, how request bodies, queries and forms are
read and refused, the responses it writes, the OpenAPI document built from the routes'
own declarations, and the health routes every service carries.
"""
