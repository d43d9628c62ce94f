"""The console's pages: one module per area (sign_in, home, cases), the page route and its
error table (pages.py), the forms (forms.py) and the vendored static files (assets.py)."""
