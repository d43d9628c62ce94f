"""The console's static files are vendored, pinned and checked: nothing loads from a CDN."""

from __future__ import annotations

import hashlib
import re

import pytest

from services.console.compose import HERE, load_labels
from services.console.http import assets

TEMPLATES = HERE / "templates"


def test_every_vendored_file_matches_its_checksum():
    sums = assets.checksums()
    assert {assets.HTMX, assets.ECHARTS} <= set(sums)
    for name, digest in sums.items():
        assert hashlib.sha256((assets.STATIC / name).read_bytes()).hexdigest() == digest
        assert assets.verified(name)


def test_every_vendored_file_comes_with_its_licence():
    for name in assets.checksums():
        stem = name.removesuffix(".min.js")
        assert (assets.STATIC / f"{stem}.LICENSE").read_text(encoding="utf-8").strip(), name


def test_a_file_that_changed_is_refused(tmp_path):
    (tmp_path / "SHA256SUMS").write_text(f"{'0' * 64}  {assets.HTMX}\n")
    (tmp_path / assets.HTMX).write_text("tampered")
    with pytest.raises(RuntimeError, match="SHA256SUMS"):
        assets.verified(assets.HTMX, tmp_path)


def test_the_pages_load_scripts_and_styles_only_from_the_console():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), template
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    assert f'src="/static/{assets.HTMX}"' in base


def test_every_label_a_template_uses_is_in_both_languages():
    labels = load_labels()
    used = {
        key
        for template in TEMPLATES.rglob("*.html")
        for key in re.findall(r"\bt\(['\"]([a-z_]+)['\"]\)", template.read_text(encoding="utf-8"))
    }
    assert used and used <= set(labels.table), used - set(labels.table)
