"""Static files in production: collected, hashed and compressed before the first request.

In production whitenoise serves ``STATIC_ROOT`` through a manifest of hashed names; a template
naming a file the manifest lacks is a 500 on every page. ``shuangsuiji serve`` therefore collects
the files itself when they are missing or older than the installed package, and ``manage check
--deploy`` reports the same condition, so a start as the documentation describes always works.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.core import checks


class StaticFilesUnavailable(RuntimeError):
    """The files cannot be collected (STATIC_ROOT read-only …): the message says what to do."""


def _stamp() -> Path:
    """Beside STATIC_ROOT, not in it (whitenoise serves everything in it): the fingerprint of
    the sources the last collection came from."""
    root = Path(settings.STATIC_ROOT)
    return root.with_name(root.name + ".sources")


def source_fingerprint() -> str:
    """SHA-256 over the name and content of every file the finders would collect."""
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256()
    found = {}
    for finder in finders.get_finders():
        for path, storage in finder.list(ignore_patterns=["CVS", ".*", "*~"]):
            found.setdefault(path, storage)
    for path in sorted(found):
        digest.update(path.encode() + b"\0")
        with found[path].open(path) as source:
            digest.update(hashlib.sha256(source.read()).digest())
    return digest.hexdigest()


def static_files_current() -> bool:
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    stamp = _stamp()
    return (
        manifest.exists() and stamp.exists() and stamp.read_text().strip() == source_fingerprint()
    )


def static_files_collect() -> bool:
    """Collect when needed; True when a collection ran."""
    from django.core.management import call_command

    if static_files_current():
        return False
    try:
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        call_command("collectstatic", interactive=False, verbosity=0)
        _stamp().write_text(source_fingerprint() + "\n")
    except OSError as error:
        raise StaticFilesUnavailable(
            f"无法收集静态文件到 {settings.STATIC_ROOT}（{error.strerror or error}）。请让该目录"
            "可写，或以有权限的账号运行 shuangsuiji manage collectstatic --no-input 后再启动。"
        ) from error
    return True


@checks.register(checks.Tags.staticfiles, deploy=True)
def check_static_files(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    manifest_storage = "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]
    if not manifest_storage or static_files_current():
        return []
    return [
        checks.Error(
            f"静态文件尚未收集或与已安装的版本不一致（{settings.STATIC_ROOT}）：每个页面都会出错。",
            hint="用 shuangsuiji serve 启动会自动收集；"
            "或先运行 shuangsuiji manage collectstatic --no-input。",
            id="shuangsuiji.E001",
        )
    ]
