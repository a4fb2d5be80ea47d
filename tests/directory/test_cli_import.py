"""``shuangsuiji import``: exit 0 only when applied (or would apply with --dry-run), 1 with the table."""

from shuangsuiji.cli import main
from shuangsuiji.directory.models import Target
from tests.support.workbooks import uscc, xlsx


def write(tmp_path, rows, name="targets.xlsx"):
    path = tmp_path / name
    path.write_bytes(xlsx(rows))
    return str(path)


def test_dry_run_then_apply(tmp_path, branch, capsys):
    path = write(tmp_path, [["统一社会信用代码", "单位名称"], [uscc(1), "甲"], [uscc(2), "乙"]])
    assert main(["import", "targets", path, "--org", branch.code, "--dry-run"]) == 0
    assert "校验通过（试运行，未写入）：新增 2 条" in capsys.readouterr().out
    assert Target.objects.count() == 0
    assert main(["import", "targets", path, "--org", branch.code]) == 1
    assert "请填写导入原因" in capsys.readouterr().err
    assert main(["import", "targets", path, "--org", branch.code, "--reason", "建库"]) == 0
    assert "新增 2 条，修改 0 条，未变 0 条" in capsys.readouterr().out
    assert Target.objects.get(credit_code=uscc(1)).history.latest().history_change_reason == "建库"


def test_errors_printed_as_a_table_and_nothing_written(tmp_path, branch, capsys):
    path = write(tmp_path, [["统一社会信用代码", "单位名称"], [uscc(1), "甲"], ["123", "乙"]])
    assert main(["import", "targets", path, "--org", branch.code, "--reason", "x"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "行号\t列\t值\t问题"
    assert err.splitlines()[1].startswith("3\t统一社会信用代码\t123\t统一社会信用代码无效")
    assert "共 1 处问题，未写入任何数据。" in err
    assert Target.objects.count() == 0


def test_unknown_org_and_missing_file(tmp_path, branch, capsys):
    assert main(["import", "targets", str(tmp_path / "none.xlsx"), "--org", branch.code]) == 1
    assert "找不到文件" in capsys.readouterr().err
    path = write(tmp_path, [["统一社会信用代码", "单位名称"], [uscc(1), "甲"]])
    assert main(["import", "targets", path, "--org", "999999"]) == 1
    assert "单位代码 999999 不存在" in capsys.readouterr().err
