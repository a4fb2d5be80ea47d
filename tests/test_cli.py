"""The ``shuangsuiji`` command: Chinese help, org/user management, no Django for pure commands."""

import subprocess
import sys

import pytest

from shuangsuiji.cli import main


def test_help_is_chinese(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "用法：" in out and "子命令" in out and "显示本帮助并退出" in out
    for command in ("serve", "manage", "org", "user", "import", "policy", "draw"):
        assert command in out
    # The demo has its own command line (python -m shuangsuiji_demo), outside the product.
    assert "demo" not in out


def test_sub_command_help_has_one_usage_prefix(capsys):
    with pytest.raises(SystemExit):
        main(["draw", "compute", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("用法：shuangsuiji draw compute")
    assert "用法：用法：" not in out


def test_bad_arguments_explained_in_chinese(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["user", "add", "someone"])
    assert exit_info.value.code == 2
    assert "缺少必需的参数" in capsys.readouterr().err


def test_pure_commands_do_not_set_up_django():
    code = (
        "import sys; from shuangsuiji.cli import build_parser; build_parser(); "
        "print('django.apps' in sys.modules and __import__('django.apps').apps.ready)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() in {"False"}


def test_org_and_user_add(db, capsys):
    from shuangsuiji.accounts.models import Organisation, User

    assert main(["org", "add", "130000", "河北省生态环境厅"]) == 0
    assert main(["org", "add", "130200", "唐山市生态环境局", "--parent", "130000"]) == 0
    city = Organisation.objects.get(code="130200")
    assert city.parent.code == "130000" and city.get_level_display() == "市局"
    assert (
        main(["user", "add", "li", "--org", "130200", "--role", "抽查管理员", "--name", "李"]) == 0
    )
    out = capsys.readouterr().out
    assert "已创建用户：li" in out and "初始密码：" in out
    password = out.split("初始密码：", 1)[1].strip()
    assert User.objects.get(username="li").check_password(password)
    assert main(["org", "list"]) == 0
    assert "  130200 唐山市生态环境局（市局）" in capsys.readouterr().out


def test_org_add_errors(db, capsys):
    assert main(["org", "add", "130200", "唐山", "--parent", "999999"]) == 1
    assert "上级单位代码 999999 不存在" in capsys.readouterr().err
    assert main(["org", "add", "13A", "坏代码"]) == 1
    assert "6 至 12 位数字" in capsys.readouterr().err


def test_user_add_errors(db, capsys):
    assert main(["org", "add", "130000", "河北省生态环境厅"]) == 0
    assert main(["user", "add", "x", "--org", "000000", "--role", "领导"]) == 1
    assert "单位代码 000000 不存在" in capsys.readouterr().err
    assert main(["user", "add", "x", "--org", "130000", "--role", "局长"]) == 1
    assert "未知角色" in capsys.readouterr().err
