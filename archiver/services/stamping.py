"""Time-stamping closed WARCs (RFC 3161), after a run or on demand.

The authority is asked outside any transaction; each token is then written
beside its WARC (``F.tsr``) and added to ``timestamp_token`` in one short
transaction. A WARC no token covers yet is asked for again next time.
"""

from __future__ import annotations

from archiver.config import Settings
from archiver.net import tsa
from archiver.store import evidence as store
from archiver.store.db import Database


def stamp_warcs(settings: Settings, db: Database) -> list[str]:
    """Time-stamp every published WARC that has no token yet (the run's own, and any
    an earlier run could not get stamped); the names stamped. An authority that
    fails raises ``tsa.TimestampError`` after the WARCs stamped before it."""
    if not settings.timestamp_authority_urls:
        return []
    with db.reader() as session:
        names = store.unstamped_warcs(session)
    done = []
    for name in names:
        path = settings.warc_dir / name
        if not path.is_file():
            continue
        sha = store.file_sha256(path)
        stamped = tsa.stamp(settings, sha)  # the network, outside any transaction
        store.write_token_beside(path, stamped[0].der)
        with db.transaction() as session:
            store.add_tokens(session, "warc", name, sha,
                             [(t.authority, t.der, t.gen_time) for t in stamped])
        done.append(name)
    return done


def stamp_after_run(settings: Settings, db: Database) -> None:
    """After a run: an authority that cannot be reached does not fail a run that is
    stored; ``archiver verify`` reports the WARC as unstamped and the next run (or
    ``archiver stamp``) asks again."""
    try:
        stamp_warcs(settings, db)
    except (tsa.TimestampError, OSError):
        pass
