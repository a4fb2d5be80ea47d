"""Uploaded register workbooks at rest (issue 15).

A register file holds what the database keeps encrypted (the inspectors' 身份证号 and 联系电话),
and any register may carry them in a column someone added. So every uploaded workbook is
written to storage encrypted — Fernet, with the keys of the encrypted fields
(``SHUANGSUIJI_FIELD_KEYS``) — and deleted once the import is done with it (``services``).
A stored upload starts with :data:`MAGIC`; a file under ``media/imports/`` without it is a
plain copy left from before, which ``services.import_files_purge`` deletes and a backup never
carries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from shuangsuiji.crypto import decrypt_bytes, encrypt_bytes

logger = logging.getLogger(__name__)

#: The folder of ``MEDIA_ROOT`` the uploads are stored in (``ImportBatch.file``'s upload_to).
FOLDER = "imports"
MAGIC = b"SHUANGSUIJI-SEALED-UPLOAD-1\n"


class UploadUnreadable(ValueError):
    """A stored upload that cannot be decrypted (a key removed from SHUANGSUIJI_FIELD_KEYS)."""


def seal(content: bytes) -> bytes:
    return MAGIC + encrypt_bytes(content)


def unseal(stored: bytes) -> bytes:
    if not stored.startswith(MAGIC):
        # A plain copy from before uploads were encrypted (the migration deletes them).
        return stored
    from cryptography.fernet import InvalidToken

    try:
        return decrypt_bytes(stored[len(MAGIC) :])
    except InvalidToken as error:
        raise UploadUnreadable(
            "上传的文件无法解密（加密它的密钥已不在 SHUANGSUIJI_FIELD_KEYS 中），请重新上传。"
        ) from error


def is_sealed(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def plain_files(media_root: Path) -> Iterator[Path]:
    """Files under ``media/imports/`` that are not encrypted uploads."""
    folder = media_root / FOLDER
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and not is_sealed(path):
            yield path


# ---- deleting files at rest ---------------------------------------------------------------------
#
# Every purge (uploads, register exports, public results files) deletes the files its rows hold
# and then the files no row holds; a file the disk refuses to delete is logged and left, and the
# row still naming it makes the next purge try again.


def stored_file_delete(storage, name: str, what: str) -> bool:
    """Delete one stored file; False, logged, when it cannot be (``what`` names it in the log)."""
    try:
        storage.delete(name)
    except OSError:
        logger.exception("无法删除%s", what)
        return False
    return True


def loose_files_delete(paths: Iterable[Path], what: str) -> int:
    """Delete files no row holds; returns how many went (``what`` names them in the log)."""
    removed = 0
    for path in paths:
        try:
            path.unlink()
        except OSError:
            logger.exception("无法删除%s %s", what, path)
            continue
        removed += 1
    return removed
