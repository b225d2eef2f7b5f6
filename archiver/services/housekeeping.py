"""What killed runs leave behind, put right when a run starts.

- A WARC whose pending ``warc_file`` row was committed but that was never
  renamed into place (killed between commit and rename) is published now.
- A WARC with no committed row (killed before its commit) is deleted: nothing
  refers to it, and the re-run writes its own.
- A row still pending whose file already has its final name is marked published.
- Temporary blob files of dead writers are deleted.

Only files no live process owns are touched (pid in the name, flock while written).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archiver.config import Settings
from archiver.store import tempfiles, warcfiles
from archiver.store.blobs import BlobStore
from archiver.store.db import Database
from archiver.store.warc import final_name, publish


@dataclass
class Tidied:
    published: list[str] = field(default_factory=list)  # WARCs finished for a killed run
    dropped: list[str] = field(default_factory=list)  # uncommitted WARCs deleted
    temp_files: int = 0  # abandoned temporary blob files deleted


def tidy(settings: Settings, db: Database) -> Tidied:
    done = Tidied()
    done.temp_files = len(BlobStore(settings.blob_dir).remove_abandoned())
    folder = settings.warc_dir
    if not folder.is_dir():
        return done
    for temp in sorted(folder.glob(".archiver-*.open")):
        name = final_name(temp.name)
        if name is None or not tempfiles.abandoned(temp):
            continue
        with db.reader() as session:
            state = warcfiles.state(session, name)
        if state == "pending":
            try:
                publish(temp, folder / name)
            except FileNotFoundError:  # another run finished it first
                continue
            with db.transaction() as session:
                warcfiles.mark_published(session, name)
            done.published.append(name)
        else:
            temp.unlink(missing_ok=True)
            done.dropped.append(name)
    with db.reader() as session:
        pending = warcfiles.pending(session)
    for name in pending:
        renamed = (folder / name).is_file() and not any(folder.glob(f".{name}.*open"))
        if renamed:
            with db.transaction() as session:
                warcfiles.mark_published(session, name)
            done.published.append(name)
    return done
