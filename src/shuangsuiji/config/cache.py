"""Redis as a cache that may go away (issue 21 §6): Django's own ``RedisCache``, except that a
Redis that cannot be reached (restarting, a network cut) makes every read a miss and every write
a no-op, logged, instead of an error on every page. Everything cached is derived from the
database (the public pages, the reports, the menu's counts), so the site stays correct and
only slower until Redis is back."""

from __future__ import annotations

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    def _unreachable(self, what: str) -> None:
        logger.warning("缓存（Redis）不可用，%s：页面照常从数据库生成。", what, exc_info=True)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except UNREACHABLE:
            self._unreachable("读取未命中")
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except UNREACHABLE:
            self._unreachable("读取未命中")
            return {}

    def set(self, key, value, timeout=None, version=None):
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE:
            self._unreachable("未存入")

    def set_many(self, data, timeout=None, version=None):
        try:
            return super().set_many(data, timeout, version)
        except UNREACHABLE:
            self._unreachable("未存入")
            return list(data)

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout, version)
        except UNREACHABLE:
            self._unreachable("未存入")
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except UNREACHABLE:
            self._unreachable("未删除")
            return False
