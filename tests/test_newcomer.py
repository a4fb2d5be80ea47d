"""A newcomer after ``make demo`` (issue 19 §8): the README's commands run as written, also on a
machine without uv on PATH; the login page leads to the public portal; the server people browse
answers an unknown address with the platform's own Chinese page, not Django's debug page; the
site has an icon."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from shuangsuiji.accounts.roles import Role

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = ROOT / "bin"
#: A PATH with the system's programs only: no uv (unless the machine installed one there).
BARE_PATH = "/usr/bin:/bin"


def _readme_commands() -> list[str]:
    """The command lines of the README's 命令行 block, continuation lines joined, comments cut."""
    text = README.read_text()
    section = text[text.index("## 命令行") :]
    block = section[section.index("```bash\n") + len("```bash\n") :]
    block = block[: block.index("```")]
    joined = re.sub(r"\\\n\s*", " ", block)
    return [re.split(r"\s+#\s", line)[0].strip() for line in joined.splitlines() if line.strip()]


def test_readme_names_no_command_that_needs_uv_on_path():
    text = README.read_text()
    assert not re.search(r"(^|[\s`])uv run", text), "README 中仍有 uv run 命令"
    commands = _readme_commands()
    assert len(commands) >= 12
    assert all(c.split()[0] in {"bin/shuangsuiji", "bin/shuangsuiji-demo"} for c in commands)


def test_every_readme_command_is_accepted_by_its_command_line():
    """Each line parses with the parser of the command it names: sub-commands, options and
    choices (such as the role 抽查管理员) exist as written."""
    from shuangsuiji.cli import build_parser
    from shuangsuiji_demo.__main__ import build_parser as demo_parser

    parsers = {"bin/shuangsuiji": build_parser, "bin/shuangsuiji-demo": demo_parser}
    for command in _readme_commands():
        program, *arguments = shlex.split(command)
        if arguments == ["--help"]:
            with pytest.raises(SystemExit) as done:
                parsers[program]().parse_args(arguments)
            assert done.value.code == 0
            continue
        parsed = parsers[program]().parse_args(arguments)
        assert callable(parsed.func), command


def _bare_environment(**extra: str) -> dict[str, str]:
    """The environment of a fresh shell on a machine where uv is not on PATH."""
    env = {"HOME": os.environ.get("HOME", "/tmp"), "PATH": BARE_PATH, "LANG": "C.UTF-8", **extra}
    if shutil.which("uv", path=BARE_PATH) is None and not (ROOT / ".tools/bin/uv").exists():
        # uv lives elsewhere on this machine (not installed by the Makefile): keep its directory.
        env["PATH"] = f"{Path(shutil.which('uv')).parent}:{BARE_PATH}"
    return env


def test_wrappers_run_without_uv_on_path(tmp_path):
    """``make demo`` installs uv into .tools/ when the machine has none: the wrappers find it,
    from any directory, and use the demo's data directory."""
    wrappers = {"shuangsuiji": "双随机、一公开监管平台命令行工具", "shuangsuiji-demo": "演示数据"}
    for wrapper, expected in wrappers.items():
        done = subprocess.run(
            [str(BIN / wrapper), "--help"],
            cwd=tmp_path,
            env=_bare_environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout
    done = subprocess.run(
        [str(BIN / "run"), "python", "-c", "import os; print(os.environ['SHUANGSUIJI_DATA_DIR'])"],
        cwd=tmp_path,
        env=_bare_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(ROOT / "var")


@pytest.mark.skipif(
    shutil.which("uv", path=BARE_PATH) is not None, reason="本机 /usr/bin 中装有 uv"
)
def test_wrapper_without_any_uv_says_what_to_run(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(BIN, project / "bin")
    done = subprocess.run(
        [str(project / "bin/shuangsuiji"), "--help"],
        env={"HOME": str(tmp_path), "PATH": BARE_PATH},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "找不到 uv" in done.stderr and "make demo" in done.stderr


# -- the login page and the error pages --------------------------------------------------------


def test_login_page_links_to_the_public_portal(client, db):
    page = client.get("/login/").content.decode()
    assert '<a href="/gongkai/">进入公开门户</a>' in page
    assert client.get("/gongkai/").status_code == 200


def test_unknown_address_is_the_chinese_404_with_a_way_on(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page
    assert (
        '<a href="/login/">工作人员登录</a>' in page and '<a href="/gongkai/">公开门户</a>' in page
    )


def test_refusal_is_the_chinese_403_with_a_way_on(client, organisations, make_user):
    client.force_login(make_user("inspector-1", organisations["a"], Role.INSPECTOR))
    response = client.get("/manage/users/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权访问" in page and "您的角色无权访问此页面。" in page
    assert '<a href="/">返回首页</a>' in page and '<a href="/gongkai/">公开门户</a>' in page


def test_a_refusal_without_chinese_words_shows_the_page_own_reason(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    from shuangsuiji.config.views import permission_denied

    request = rf.get("/x/")
    request.user = AnonymousUser()
    page = permission_denied(request, PermissionDenied("Forbidden")).content.decode()
    assert "Forbidden" not in page and "您的角色无权访问此页面。" in page


def test_expired_form_is_a_chinese_403(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "页面已过期" in page and "刷新后重新填写提交" in page
    assert "CSRF verification failed" not in page and "Forbidden" not in page
    assert '<a href="/gongkai/">公开门户</a>' in page


# -- the icon ----------------------------------------------------------------------------------


def test_pages_link_the_icon_and_favicon_ico_answers(client, db):
    for url in ("/login/", "/gongkai/", "/no-such-page/"):
        page = client.get(url).content.decode()
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page, url
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg") and b"</svg>" in icon.content
    static = client.get("/static/favicon.svg")
    assert static.status_code == 200
    assert b"".join(static.streaming_content) == icon.content


# -- the server people browse ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _serving(tmp_path: Path, port: int, **extra: str) -> subprocess.Popen:
    tmp_path.mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shuangsuiji.config.settings"}
    for key in ("DATABASE_URL", "DJANGO_ENV", "DJANGO_DEBUG"):  # the development profile
        env.pop(key, None)
    env.update(SHUANGSUIJI_DATA_DIR=str(tmp_path), **extra)
    command = [sys.executable, "-m", "shuangsuiji.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            if _get(port, "/healthz")[0] == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise AssertionError(server.stdout.read().decode())
        time.sleep(0.2)


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def test_served_demo_shows_the_platform_404_and_a_developer_can_ask_for_debug(tmp_path):
    """``shuangsuiji serve`` (what ``make demo`` runs) answers an unknown address with the
    Chinese 404 page; DJANGO_DEBUG=true still gives a developer Django's debug page."""
    port = _free_port()
    server = _serving(tmp_path / "plain", port)
    try:
        status, page = _get(port, "/no-such-page/")
        assert status == 404
        assert "页面不存在" in page and 'href="/gongkai/"' in page
        assert "DEBUG = True" not in page and "Page not found" not in page
        icon_status, icon = _get(port, "/favicon.ico")
        assert icon_status == 200 and icon.startswith("<svg")
    finally:
        _stop(server)

    port = _free_port()
    server = _serving(tmp_path / "debug", port, DJANGO_DEBUG="true")
    try:
        status, page = _get(port, "/no-such-page/")
        assert status == 404 and "DEBUG = True" in page
    finally:
        _stop(server)
