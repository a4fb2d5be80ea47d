"""Personal identifiers encrypted at rest (身份证号): Fernet (AES-128-CBC + HMAC-SHA256) with
keys from the environment, so a copied database file or backup alone does not give them away.

``SHUANGSUIJI_FIELD_KEYS`` lists one or more Fernet keys, newest first: values are written with
the first and read with any, which is how a key is rotated. A value is stored as ``enc1:<token>``;
a value without the prefix (written before encryption existed) is read as it is and encrypted
the next time it is saved.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "enc1:"


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]):
    from cryptography.fernet import Fernet, MultiFernet

    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "SHUANGSUIJI_FIELD_KEYS 中有无效的密钥：每个密钥须为 Fernet 格式（32 字节的 URL 安全 "
            'Base64 编码，可用 python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())" 生成）。'
        ) from error


def encrypt(text: str) -> str:
    return PREFIX + _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(text.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored
    token = stored[len(PREFIX) :].encode()
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token).decode()


def encrypt_bytes(data: bytes) -> bytes:
    """A file kept encrypted at rest (an uploaded register awaiting confirmation), with the
    same keys as the fields."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token)


class EncryptedCharField(models.CharField):
    """A CharField whose value is encrypted in the database. ``max_length`` limits the plain
    text; the column is sized for the token. Equality lookups cannot work (each encryption
    differs); only the empty string is stored as it is, so ``=""`` still finds blanks."""

    def __init__(self, *args, **kwargs):
        self.plain_length = kwargs.pop("plain_length", kwargs.get("max_length") or 64)
        kwargs["max_length"] = 255
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["plain_length"] = self.plain_length
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value or value.startswith(PREFIX):
            return value
        return encrypt(value)

    def formfield(self, **kwargs):
        return super().formfield(**{"max_length": self.plain_length, **kwargs})
