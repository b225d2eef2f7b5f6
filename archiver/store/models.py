"""The relational model of the archive (SQLAlchemy 2.0 typed mappings).

Natural identities carry unique constraints (normalized URL, tweet id, content
hash) so that archiving the same thing twice adds nothing. ``link_check`` is
append-only: history is never overwritten. Times are UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

# Stable constraint names, so that alembic migrations can refer to them on
# every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Capture(Base):
    """One fetched (or read) response, byte-exact in the blob store and WARC."""

    __tablename__ = "capture"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    method: Mapped[str] = mapped_column(String(10), default="GET")
    status: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[list[Any] | None] = mapped_column(JSON)  # [[name, value], ...] as received
    content_type: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    # How the bytes were obtained: remote address, TLS chain fingerprint, request
    # and response times ({"peer_ip", "tls_chain_sha256", "request_at", ...}).
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Article(Base):
    """One article, identified by its canonical URL, or by content hash for files."""

    __tablename__ = "article"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    identity: Mapped[str] = mapped_column(String(2048), unique=True)
    source: Mapped[str] = mapped_column(Text)  # as given: URL, path or "-"
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    published_at: Mapped[dt.date | None] = mapped_column(Date)
    language: Mapped[str | None] = mapped_column(String(35))
    text: Mapped[str] = mapped_column(Text, default="")
    first_archived_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    last_archived_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The latest version; a plain column, not a foreign key, to keep the
    # article <-> version dependency acyclic for every backend.
    current_version_id: Mapped[int | None] = mapped_column(Id)

    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", foreign_keys="ArticleVersion.article_id"
    )


class ArticleVersion(Base):
    """One distinct content of an article; a new row only when the text changed."""

    __tablename__ = "article_version"
    __table_args__ = (UniqueConstraint("article_id", "content_sha256"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    article_id: Mapped[int] = mapped_column(Id, ForeignKey("article.id", ondelete="CASCADE"))
    capture_id: Mapped[int | None] = mapped_column(Id, ForeignKey("capture.id"))
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    article: Mapped[Article] = relationship(back_populates="versions", foreign_keys=[article_id])


class Citation(Base):
    """One cited tweet inside one version of an article."""

    __tablename__ = "citation"
    __table_args__ = (UniqueConstraint("version_id", "ordinal"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        Id, ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        Id, ForeignKey("article_version.id", ondelete="CASCADE")
    )
    ordinal: Mapped[int] = mapped_column(Integer)  # order in the article
    kind: Mapped[str] = mapped_column(String(16))  # embed, text, url
    paragraph: Mapped[int | None] = mapped_column(Integer)
    last_paragraph: Mapped[int | None] = mapped_column(Integer)
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    quote_text: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str | None] = mapped_column(String(35))
    author_name: Mapped[str | None] = mapped_column(Text)
    handle: Mapped[str | None] = mapped_column(String(64), index=True)
    handle_lower: Mapped[str | None] = mapped_column(String(64), index=True)
    date_text: Mapped[str | None] = mapped_column(Text)
    cited_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    tweet_id: Mapped[str | None] = mapped_column(String(32), index=True)
    status_url: Mapped[str | None] = mapped_column(Text)
    match_method: Mapped[str | None] = mapped_column(String(32))  # how the tweet was found
    match_score: Mapped[float | None] = mapped_column(Float)
    # When a search found no tweet above the threshold: the best candidates
    # ([{"tweet_id", "score"}]), kept for a person to judge instead of a guess.
    candidates: Mapped[list[Any] | None] = mapped_column(JSON)
    resolve_state: Mapped[str] = mapped_column(String(32), default="pending")
    resolve_error: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tags: Mapped[list[CitationTag]] = relationship(
        back_populates="citation", cascade="all, delete-orphan"
    )


class CitationTag(Base):
    """A hashtag or @mention inside a quote; ``key`` is case-folded for queries
    (SQL lower() folds only ASCII in SQLite, and hashtags are often not ASCII)."""

    __tablename__ = "citation_tag"
    __table_args__ = (
        UniqueConstraint("citation_id", "kind", "key"),
        Index("ix_citation_tag_kind_key", "kind", "key"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    citation_id: Mapped[int] = mapped_column(Id, ForeignKey("citation.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # hashtag, mention
    value: Mapped[str] = mapped_column(String(280))  # as written
    key: Mapped[str] = mapped_column(String(280))  # casefolded

    citation: Mapped[Citation] = relationship(back_populates="tags")


class Link(Base):
    """One distinct link, by normalized URL; its state follows the latest checks."""

    __tablename__ = "link"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    normalized: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(Text)  # first form seen
    kind: Mapped[str] = mapped_column(String(16), index=True)
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    tweet_id: Mapped[str | None] = mapped_column(String(32), index=True)
    handle: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32), default="unchecked")
    resolved_url: Mapped[str | None] = mapped_column(Text)
    # Why the latest resolution of a short link failed: a stable code
    # (refused_address, redirect_loop, timeout, http_404, ...) and one line for a
    # person; cleared when a later resolution succeeds.
    resolve_error: Mapped[str | None] = mapped_column(String(32))
    resolve_error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    next_check_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(32), index=True)  # lease_owner.token
    # The copy kept at archive time (--with-links): the response, and the blob of
    # its main text, against which later checks measure drift.
    snapshot_capture_id: Mapped[int | None] = mapped_column(Id, ForeignKey("capture.id"))
    snapshot_text_sha256: Mapped[str | None] = mapped_column(String(64))
    snapshot_error: Mapped[str | None] = mapped_column(Text)
    # Scheduling of rot checks: consecutive checks with the same health, and when
    # the current run of failures began (a link is dead only after days of them).
    check_streak: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    wayback_url: Mapped[str | None] = mapped_column(Text)  # a capture near the article's date


# The order `check` claims links in: a bijection of the id (below the prime modulus),
# multiplication by about 0.382 of the modulus (1/phi**2, whose multiples are spread
# most evenly: Fibonacci hashing), so that a batch of consecutive keys spans the
# whole table rather than one host's run of consecutive ids. The product stays below
# 2**63 (no overflow on any id); ties past the modulus go by id. Indexed with the id,
# so a run claims batch after batch from a cursor in O(batch) (store/leases.py).
# Literals, not bound parameters, so that SQLite and PostgreSQL match the index.
SPREAD_MODULUS = 4294967291
SPREAD_FACTOR = 1640531527
SPREAD_SQL = f"id % {SPREAD_MODULUS} * {SPREAD_FACTOR} % {SPREAD_MODULUS}"


def link_spread() -> ColumnElement[int]:
    """The claim order of a link, as a SQL expression (see ``ix_link_spread``)."""
    return literal_column(f"link.{SPREAD_SQL}", BigInteger)


# As text: PostgreSQL shows the index without the parentheses SQLAlchemy's operators
# would add, and alembic compares the two spellings as text.
Index("ix_link_spread", text(SPREAD_SQL), Link.id)


class LinkOccurrence(Base):
    """Where a link appears: article version, paragraph, offsets, citation."""

    __tablename__ = "link_occurrence"
    __table_args__ = (UniqueConstraint("version_id", "link_id", "paragraph", "start"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    link_id: Mapped[int] = mapped_column(Id, ForeignKey("link.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(
        Id, ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        Id, ForeignKey("article_version.id", ondelete="CASCADE")
    )
    citation_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("citation.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(Text)  # as written
    paragraph: Mapped[int] = mapped_column(Integer, default=-1)  # -1: in markup only
    start: Mapped[int] = mapped_column(Integer, default=0)
    end: Mapped[int] = mapped_column(Integer, default=0)
    anchor_text: Mapped[str | None] = mapped_column(Text)
    rel: Mapped[str | None] = mapped_column(String(255))


class RedirectHop(Base):
    """One hop of one resolution of a link, in order; the chain is data."""

    __tablename__ = "redirect_hop"
    __table_args__ = (UniqueConstraint("link_id", "resolved_at", "hop"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    link_id: Mapped[int] = mapped_column(Id, ForeignKey("link.id", ondelete="CASCADE"))
    resolved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    hop: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(Text)
    capture_id: Mapped[int | None] = mapped_column(Id, ForeignKey("capture.id"))


class Tweet(Base):
    """One tweet, by its snowflake id (kept as a string: ids overflow JS numbers)."""

    __tablename__ = "tweet"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    handle: Mapped[str | None] = mapped_column(String(64), index=True)
    user_id: Mapped[str | None] = mapped_column(String(32))
    author_name: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    lang: Mapped[str | None] = mapped_column(String(35))
    reply_to_id: Mapped[str | None] = mapped_column(String(32))
    quoted_id: Mapped[str | None] = mapped_column(String(32))
    hashtags: Mapped[list[Any] | None] = mapped_column(JSON)
    mentions: Mapped[list[Any] | None] = mapped_column(JSON)
    urls: Mapped[list[Any] | None] = mapped_column(JSON)  # [{"short", "expanded"}]
    detail: Mapped[str | None] = mapped_column(Text)  # what the service said
    # Why a tweet that is not available has its state: {"live": [{"provider",
    # "status", "state", "detail"}], "wayback": {"url", "timestamp", "replay"}}.
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(32), default="unknown")
    provider: Mapped[str | None] = mapped_column(String(32))
    capture_id: Mapped[int | None] = mapped_column(Id, ForeignKey("capture.id"))
    fetched_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    next_check_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(32), index=True)  # lease_owner.token
    last_checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    check_streak: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Media(Base):
    """One photo, video or GIF of a tweet, with the bytes we kept."""

    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("tweet_id", "url"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tweet_id: Mapped[str] = mapped_column(String(32), ForeignKey("tweet.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # photo, video, animated_gif
    url: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    mime: Mapped[str | None] = mapped_column(String(255))
    capture_id: Mapped[int | None] = mapped_column(Id, ForeignKey("capture.id"))


class LeaseOwner(Base):
    """A running ``check``: who holds leases, so that a dead one's can be taken over.

    No foreign key from ``link.lease_owner``: an owner row is deleted when its run
    ends or is found dead, and rows still naming it are then free.
    """

    __tablename__ = "lease_owner"
    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    pid: Mapped[int] = mapped_column(Integer)
    hostname: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LinkCheck(Base):
    """One rot check of a link or a tweet. Append-only."""

    __tablename__ = "link_check"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    link_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("link.id", ondelete="CASCADE"), index=True
    )
    tweet_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("tweet.id", ondelete="CASCADE"), index=True
    )
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(32))
    status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    similarity: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    capture_id: Mapped[int | None] = mapped_column(Id, ForeignKey("capture.id"))


class WarcFile(Base):
    """One run's WARC file. ``pending`` from the commit that names it until it has
    been renamed into place, then ``published``; a run that starts finishes or
    drops what a killed run left pending (see services/housekeeping.py)."""

    __tablename__ = "warc_file"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    records: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # What shaped the run's captures: software, User-Agent, limits, providers.
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class TimestampToken(Base):
    """An RFC 3161 time-stamp token over a file's sha256: a closed WARC (``warc``,
    by name) or a WACZ package's datapackage-digest.json (``wacz``, by path)."""

    __tablename__ = "timestamp_token"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(1024), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    authority: Mapped[str] = mapped_column(Text)
    token: Mapped[bytes] = mapped_column(LargeBinary)  # the TimeStampResp, DER
    gen_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
