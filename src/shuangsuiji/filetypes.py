"""What a file is, told by its first bytes (its signature), never by its name.

A name says what the sender typed: a program renamed 方案.pdf is still a program. Every upload
that must be of some type (a 实施方案 in PDF or Word, a photo or PDF as evidence of an
inspection, a register workbook) is recognised here, and a refused file is named for what it
really is. The signatures are those the formats' own specifications put first in the file (PDF
1.7 §7.5.2, PNG §5.2, JFIF, Microsoft's Compound File Binary format, PKWARE's APPNOTE for zip).

Pure Python: no Django, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class FileType:
    #: What the user reads (“实为 zip 压缩包”).
    label: str
    #: The media type a download of it is served with.
    content_type: str


PDF = FileType("PDF 文件", "application/pdf")
#: Word 97–2003 (.doc), Excel 97–2003 (.xls) and every other compound file share it.
OLE2 = FileType("Office 97–2003 文件", "application/x-ole-storage")
#: .docx and .xlsx are zip archives too: what is inside tells them apart.
ZIP = FileType("zip 压缩包", "application/zip")
#: A zip archive holding nothing: no document, no workbook.
EMPTY_ZIP = FileType("zip 压缩包", "application/zip")
JPEG = FileType("JPG 图片", "image/jpeg")
PNG = FileType("PNG 图片", "image/png")
WINDOWS_PROGRAM = FileType("Windows 可执行程序", "application/vnd.microsoft.portable-executable")
PROGRAM = FileType("可执行程序", "application/x-executable")
RAR = FileType("rar 压缩包", "application/vnd.rar")
SEVEN_ZIP = FileType("7z 压缩包", "application/x-7z-compressed")
GZIP = FileType("gz 压缩包", "application/gzip")
RTF = FileType("富文本文档（.rtf）", "application/rtf")
HTML = FileType("网页文件", "text/html")

#: First bytes → type, tried in order (the one-byte “<” of a web page last).
SIGNATURES: tuple[tuple[bytes, FileType], ...] = (
    (b"%PDF-", PDF),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE2),
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", EMPTY_ZIP),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"MZ", WINDOWS_PROGRAM),
    (b"\x7fELF", PROGRAM),
    (b"Rar!", RAR),
    (b"7z\xbc\xaf\x27\x1c", SEVEN_ZIP),
    (b"\x1f\x8b", GZIP),
    (b"{\\rtf", RTF),
    (b"<", HTML),
)
#: How many first bytes tell every type above.
HEAD = max(len(magic) for magic, _ in SIGNATURES)


def file_type(content: bytes) -> FileType | None:
    """The type of a file from its content (its first :data:`HEAD` bytes suffice); None for a
    file none of the signatures starts."""
    return next((kind for magic, kind in SIGNATURES if content.startswith(magic)), None)


def upload_type(upload: BinaryIO) -> FileType | None:
    """:func:`file_type` of an uploaded file, read from its start and left at its start."""
    upload.seek(0)
    head = upload.read(HEAD)
    upload.seek(0)
    return file_type(head)
