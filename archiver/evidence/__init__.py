"""Evidence that holds: WACZ packages, fixity checks and trusted timestamps.

Reads the store (store/evidence.py) and the files of the data folder; writes
packages and tokens. No SQL here, and HTTP only through net/.
"""


from archiver.errors import ArchiverError


class EvidenceError(ArchiverError):
    """A known failure of export, verify or time-stamping, in one line."""
