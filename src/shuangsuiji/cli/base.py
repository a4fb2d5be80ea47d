"""What every sub-command shares: a parser that speaks Chinese, and Django set up on demand."""

from __future__ import annotations

import argparse
import os
import sys

# argparse prints a few fixed English phrases; the command speaks Chinese to its users.
_ARGPARSE_PHRASES = {
    "the following arguments are required: ": "缺少必需的参数：",
    "unrecognized arguments: ": "无法识别的参数：",
    "invalid choice: ": "无效的选项：",
    "expected one argument": "需要一个参数值",
    "(choose from ": "（可选：",
    "argument ": "参数 ",
}


class ChineseHelpFormatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        # argparse passes prefix="" when it builds a sub-command's name from the usage line.
        return super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def error(self, message: str):
        for english, chinese in _ARGPARSE_PHRASES.items():
            message = message.replace(english, chinese)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuangsuiji.config.settings")
    import django

    django.setup()
