"""Cache generations, and Django's Redis cache with one Redis client per connection pool
instead of one per call.

Django builds a new ``redis.Redis`` for every cache operation; each one copies redis-py's
table of ~170 response callbacks. A heartbeat makes four cache operations (session, rate
limit, study context), so that was about a tenth of its CPU time. The clients share the
same connection pools as before and are safe to share between threads.
"""

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils import timezone


def move_generation_on(key: str) -> None:
    """Move a cache *generation* on: whatever was remembered under the old one is stale."""
    try:
        cache.incr(key)
    except ValueError:  # not in the cache yet (or evicted): any value new to it will do
        cache.set(key, int(timezone.now().timestamp() * 1000), None)


class ReusedClientRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        if index not in clients:
            clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return clients[index]


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
