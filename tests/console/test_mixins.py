"""The console's page classes are mixed into one service class, so a helper method of one
that shares its name with another's is silently replaced by whichever comes first in the
method order (a property form once ran the duty page's `_act`). No two page classes
define the same name."""

from __future__ import annotations

from collections import defaultdict

from services.console.http.pages import Pages
from services.console.service import ConsoleService


def test_no_two_page_classes_define_the_same_name():
    defined: dict[str, list[str]] = defaultdict(list)
    for cls in ConsoleService.__mro__:
        if issubclass(cls, Pages) and cls not in (Pages, ConsoleService):
            for name in vars(cls):
                if not name.startswith("__"):
                    defined[name].append(cls.__name__)
    assert {name: owners for name, owners in defined.items() if len(owners) > 1} == {}
