"""The one error the engine raises for a bundle that breaks SHUANGSUIJI-DRAW-v1."""

from __future__ import annotations


class BundleError(Exception):
    """A violation of the specification, located in one file.

    ``where`` is a line (``第 12 行``), a JSON key (``键 strata[1].k``) or empty when the
    whole file is at fault; ``message`` states the rule that was broken.
    """

    def __init__(self, file: str, where: str, message: str) -> None:
        self.file = file
        self.where = where
        self.message = message
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[BundleError], tuple[str, str, str]]:
        # Keeps the error intact across a process boundary (see parallel.py).
        return BundleError, (self.file, self.where, self.message)

    def __str__(self) -> str:
        location = f"{self.file} {self.where}" if self.where else self.file
        return f"{location}：{self.message}"


def line(number: int) -> str:
    return f"第 {number} 行"


def key(path: str) -> str:
    return f"键 {path}"
