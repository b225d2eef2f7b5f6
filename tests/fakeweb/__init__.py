"""A fake web on loopback that behaves like X, t.co, the Wayback Machine and news sites.

See ``server.FakeWeb`` (the API), ``data.FakeData`` (what it knows), ``dataset``
(the built-in ids), ``faults.KINDS`` (misbehaviour on demand).
"""

from tests.fakeweb.data import FakeData, default_data
from tests.fakeweb.server import FakeWeb
from tests.fakeweb.wire import Hit

__all__ = ["FakeData", "FakeWeb", "Hit", "default_data"]
