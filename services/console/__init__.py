"""console: the staff console (工作台) — sign-in sessions and codes, and server-rendered pages
that act only through the other services' HTTP APIs, with the console's key and the
signed-in person's token (docs/services.md, "Console").

It has the rooms of every service (docs/architecture.md) and three of its own: apis.py,
the only module that speaks HTTP to the other services, beside store.py, the only one
that speaks Mongo; templates/, the pages' Jinja templates, which compose.py loads once;
and static/, the stylesheet and the vendored htmx with its checksums, served by
http/assets.py."""
