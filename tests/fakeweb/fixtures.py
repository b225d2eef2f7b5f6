"""pytest fixtures: one fake web per session, reset before every test.

Starting the servers and minting certificates costs a little, so the server is
shared; each test still sees a pristine world (data, faults and hits are reset
by the function-scoped ``fakeweb`` fixture), so tests stay order-independent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakeweb.data import default_data
from tests.fakeweb.server import FakeWeb


@pytest.fixture(scope="session")
def fakeweb_session() -> Iterator[FakeWeb]:
    with FakeWeb() as web:
        yield web


@pytest.fixture
def fakeweb(fakeweb_session: FakeWeb) -> Iterator[FakeWeb]:
    """The shared fake web with fresh data and no faults or hits."""
    web = fakeweb_session
    web.data = default_data()
    web.clear_faults()
    web.clear_hits()
    yield web
    web.clear_faults()
