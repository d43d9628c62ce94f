"""console: the staff console (工作台) — sign-in sessions and codes, and server-rendered pages
that act only through the other services' HTTP APIs, with the console's key and the
signed-in person's token (docs/services.md, "Console")."""
