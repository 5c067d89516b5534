"""Django's Redis cache with one Redis client per connection pool instead of one per call.

Django builds a new ``redis.Redis`` for every cache operation; each one copies redis-py's
table of ~170 response callbacks. A heartbeat makes four cache operations (session, rate
limit, study context), so that was about a tenth of its CPU time. The clients share the
same connection pools as before and are safe to share between threads.

Needed on the June-1 load: bench/profile_endpoints.py (bench/load.py's seed and settings)
measures a heartbeat at 3.8-4.0 ms of CPU with it and 4.7 ms with Django's ``RedisCache`` as
it is, the sign-in code request at 21-22 and 26 ms. It overrides ``get_client`` with the
private ``_get_connection_pool_index``/``_get_connection_pool``/``_client`` of Django's
client; the suite's run with REDIS_URL makes every cache call through it, so a Django upgrade
that changes them fails there (then use Django's ``RedisCache`` again).
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


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
