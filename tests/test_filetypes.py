"""One place tells an upload's type by its first bytes (review of issue 21: the 实施方案 upload,
the inspection evidence and the register workbooks each had their own signatures)."""

from __future__ import annotations

import io

import pytest

from shuangsuiji import filetypes


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", filetypes.PDF),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", filetypes.OLE2),
        (b"PK\x03\x04\x14\x00", filetypes.ZIP),
        (b"PK\x05\x06\x00\x00", filetypes.EMPTY_ZIP),
        (b"\xff\xd8\xff\xe0", filetypes.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00", filetypes.PNG),
        (b"MZ\x90\x00", filetypes.WINDOWS_PROGRAM),
        (b"<html>", filetypes.HTML),
        (b"\xef\xbb\xbf\xe5\x90\x8d\xe7\xa7\xb0", None),  # a UTF-8 CSV: no signature
        (b"", None),
    ],
)
def test_a_file_is_known_by_its_first_bytes(head, expected):
    assert filetypes.file_type(head) is expected


def test_an_upload_is_read_from_its_start_and_left_there():
    """The caller stores the upload after asking: the whole file must still be there."""
    upload = io.BytesIO(b"%PDF-1.4 ... %%EOF")
    upload.read(3)
    assert filetypes.upload_type(upload) is filetypes.PDF
    assert upload.read() == b"%PDF-1.4 ... %%EOF"


def test_a_refused_file_is_named_in_chinese():
    assert filetypes.file_type(b"Rar!\x1a\x07").label == "rar 压缩包"
    assert all(kind.label and kind.content_type for _, kind in filetypes.SIGNATURES)
