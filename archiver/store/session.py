"""The handle a service gets from ``Database.transaction()`` or ``reader()`` and
passes on, unopened, to store/ functions: services name its type from here, so
that no module outside store/ imports SQLAlchemy."""

from sqlalchemy.orm import Session

__all__ = ["Session"]
