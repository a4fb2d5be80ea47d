"""Settings come from the environment; production refuses unsafe configurations."""

import os
import subprocess
import sys

import pytest


def _load_settings(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import shuangsuiji.config.settings as s; print(s.DEBUG)"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_locale_and_time_zone(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_production_refuses_missing_secret_key():
    result = _load_settings(DJANGO_ENV="production", DJANGO_ALLOWED_HOSTS="sjs.example.gov.cn")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_debug_on_public_host():
    result = _load_settings(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="sjs.example.gov.cn",
        DJANGO_DEBUG="true",
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr and "sjs.example.gov.cn" in result.stderr


def test_production_starts_when_configured():
    result = _load_settings(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="sjs.example.gov.cn",
        SHUANGSUIJI_FIELD_KEYS="QmVuY2htYXJrLW9ubHkta2V5LTMyLWJ5dGVzLWxvbmc=",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("value", ["staging", "prod"])
def test_unknown_environment_refused(value):
    result = _load_settings(DJANGO_ENV=value)
    assert result.returncode != 0 and "DJANGO_ENV" in result.stderr


def test_database_url_selects_postgresql():
    code = "import shuangsuiji.config.settings as s; print(s.DATABASES['default']['ENGINE'])"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DATABASE_URL"] = "postgres://u:p@127.0.0.1:5432/sjs"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_production_refuses_missing_field_key():
    """身份证号 are encrypted with a key from the environment; production will not start
    without one."""
    base = {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "sjs.example.gov.cn"}  # fmt: skip
    missing = _load_settings(**base)
    assert missing.returncode != 0 and "SHUANGSUIJI_FIELD_KEYS" in missing.stderr
    from cryptography.fernet import Fernet

    good = _load_settings(**base, SHUANGSUIJI_FIELD_KEYS=Fernet.generate_key().decode())
    assert good.returncode == 0, good.stderr
