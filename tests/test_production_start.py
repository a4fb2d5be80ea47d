"""A production start exactly as docs/security.md describes it serves every page (issue 15,
finding 4): ``serve`` collects the static files itself, ``check --deploy`` reports them missing,
and the development profile refuses to listen beyond this machine (finding 9)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request

from tests.test_serving import PATIENCE, _free_port, _until

FIELD_KEY = "n4Mx0Uq2o3BzI6kqvVv1oQ0t1xJQ8tqgq3l4qv1mS3Y="  # a valid Fernet key, for tests only


def _production_env(tmp_path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG"}
    }
    return {
        **env,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "test-only-" + "k" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,sjs.example.gov.cn",
        "SHUANGSUIJI_FIELD_KEYS": FIELD_KEY,
        "SHUANGSUIJI_DATA_DIR": str(tmp_path),
    }


def _cli(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shuangsuiji.cli", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE * 5,
    )


def _get(port: int, path: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        # as nginx forwards a request it received over HTTPS (serve --trusted-proxy 127.0.0.1)
        headers={"X-Forwarded-Proto": "https", "Host": "sjs.example.gov.cn"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except OSError:
        return 0, ""


def test_documented_production_start_serves_pages_and_their_static_files(tmp_path):
    env = _production_env(tmp_path)
    assert _cli("manage", "migrate", "--no-input", env=env).returncode == 0
    before = _cli("manage", "check", "--deploy", env=env)
    assert before.returncode != 0 and "静态文件尚未收集" in before.stderr

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "shuangsuiji.cli", "serve", "--port", str(port),
         "--trusted-proxy", "127.0.0.1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _until(lambda: _get(port, "/healthz")[0] == 200, "生产环境服务就绪")
        for page in ("/gongkai/", "/login/"):
            status, html = _get(port, page)
            assert status == 200, (page, html[:300])
            stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', html)
            assert stylesheets and all(re.search(r"\.[0-9a-f]{12}\.css$", s) for s in stylesheets)
            assert all(_get(port, sheet)[0] == 200 for sheet in stylesheets)
    finally:
        server.terminate()
        output = server.communicate(timeout=PATIENCE)[0].decode()
    assert "已收集静态文件" in output

    after = _cli("manage", "check", "--deploy", env=env)
    assert "静态文件尚未收集" not in after.stderr, after.stderr


def test_development_profile_refuses_to_listen_beyond_this_machine(tmp_path):
    env = {**_production_env(tmp_path), "DJANGO_ENV": "development"}
    refused = _cli("serve", "--host", "0.0.0.0", "--port", str(_free_port()), env=env)
    assert refused.returncode == 2
    assert "开发模式" in refused.stderr and "--insecure-dev" in refused.stderr
