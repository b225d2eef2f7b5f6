"""Resolve citations: short links hop by hop, which tweet is cited, its data and media.

For each pending citation of each article's current version:

1. Its t.co and pic.twitter.com links are followed hop by hop (every hop is a
   capture and a ``redirect_hop`` row), stopping at a status URL: twitter.com
   and x.com answer bots with app shells or 403s, and the URL names the tweet.
   An expanded t.co target becomes a link of its own on the citation.
2. The tweet is the one a status URL or pic link names; failing that, the
   Wayback CDX index of the handle's statuses gives candidates posted within a
   day of the cited date, and ``matching.choose`` claims the one whose text
   matches the quote clearly best, or none (``unresolved``, ``ambiguous``),
   keeping every candidate on the citation for a person to judge.
3. The tweet's data comes from the providers, its media is streamed to blobs.
4. The citation is checked against its tweet (handle, date, text) and any
   disagreement is flagged: a misattributed quote is a finding, not an error.
   The rules of 2 and 4 live in ``matching`` (pure); this module fetches.

Nothing already stored is fetched again unless ``refetch`` is asked.

Two phases (see runs.py): ``run`` fetches and decides on views of the rows
(rows read in short transactions and detached, or rows not stored yet), with no
transaction open while the network is used; ``apply`` then writes the outcome
in the run's one short transaction, touching only the columns resolution owns,
so that a ``check`` that ran meanwhile keeps what it wrote.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

from archiver import crashpoints
from archiver.config import Settings
from archiver.detect.links import classify_url, normalize_url, parse_status_url
from archiver.detect.values import Detection
from archiver.net.errors import FetchError, reason
from archiver.net.http import Exchange, HttpClient
from archiver.providers.tweet import MediaItem, Tweet
from archiver.rules import matching
from archiver.rules.matching import VERIFY_FLAGS
from archiver.services.archive import citation_row, link_values, occurrence_row
from archiver.services.recorder import Recorder
from archiver.services.tweets import Answer, TweetFetcher, similarity
from archiver.store import links as stored_links
from archiver.store import models as m
from archiver.store import resolution, rows
from archiver.store.blobs import BlobStore
from archiver.store.db import Database
from archiver.store.session import Session
from archiver.store.upsert import upsert_link

FINAL_TWEET_STATES = frozenset({"available", "deleted", "protected", "suspended", "withheld",
                                "not_found"})
SHORT_KINDS = ("tco", "pic")


@dataclass
class ResolveStats:
    citations: int = 0
    resolved: int = 0
    unresolved: int = 0
    ambiguous: int = 0
    failed: int = 0  # nothing could be asked: no service answered
    tweets: Counter[str] = field(default_factory=Counter)
    media_saved: int = 0
    bytes_saved: int = 0
    links_expanded: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)  # one line each, naming the input


Progress = Callable[[str], None]
# Which citation a piece of work is: its id, or (document index, ordinal) for a
# citation of an article version that this run is about to store.
CitationKey = int | tuple[int, int]
FIXED_CITATION_COLUMNS = frozenset({"id", "article_id", "version_id", "ordinal", "created_at"})


@dataclass
class Work:
    """One citation to resolve: a view of its row (detached, or not stored yet)
    and views of its links with their occurrences."""

    key: CitationKey
    citation: m.Citation
    links: list[tuple[m.Link, m.LinkOccurrence]]


@dataclass(frozen=True)
class _Hops:
    link: str  # normalized URL
    resolved_at: dt.datetime
    hops: list[tuple[Exchange, m.Capture]]


@dataclass(frozen=True)
class _Expanded:
    key: CitationKey
    url: str
    normalized: str
    kind: str
    tweet_id: str | None
    handle: str | None
    start: int
    end: int
    anchor_text: str


@dataclass(frozen=True)
class _SavedMedia:
    tweet_id: str
    url: str
    kind: str
    sha256: str
    size: int
    width: int | None
    height: int | None
    mime: str | None
    capture: m.Capture


class Resolver:
    def __init__(self, settings: Settings, db: Database, blobs: BlobStore,
                 client: HttpClient, recorder: Recorder, *, refetch: bool = False) -> None:
        self.settings = settings
        self.db = db
        self.blobs = blobs
        self.client = client
        self.recorder = recorder
        self.fetcher = TweetFetcher(settings, client, recorder)
        self.refetch = refetch
        self.stats = ResolveStats()
        # What the network phase learnt, applied by ``apply``.
        self.work: list[Work] = []
        self._links_seen: dict[str, m.Link] = {}  # one view per normalized URL
        self._link_base: dict[str, dict[str, object]] = {}  # its columns when first seen
        self._hops: list[_Hops] = []
        self._expanded: list[_Expanded] = []
        self._tweets: dict[str, m.Tweet] = {}  # views: stored rows, then as updated here
        self._answers: list[tuple[Answer, dt.datetime]] = []
        self._media: list[_SavedMedia] = []
        self._media_done: set[tuple[str, str]] = set()

    # -- selection (short read transactions) -------------------------------------
    def pending(self, article_ids: list[int] | None, retry_failed: bool) -> list[Work]:
        states = ["pending"] + (["failed", "unresolved"] if retry_failed else [])
        if self.refetch:
            states += ["resolved", "failed", "unresolved", "ambiguous"]
        with self.db.reader() as session:
            return [self._stored_work(session, c)
                    for c in resolution.pending_citations(session, states, article_ids)]

    def pending_in_documents(self, documents: list[tuple[Detection, int | None]]) -> list[Work]:
        """The citations to resolve in the documents an archive run is storing: those
        still pending when the version is stored already, all of them when not."""
        work: list[Work] = []
        with self.db.reader() as session:
            for index, (detection, version_id) in enumerate(documents):
                if version_id is not None:
                    work += [self._stored_work(session, c)
                             for c in resolution.pending_in_version(session, version_id)]
                    continue
                for ordinal, cite in enumerate(detection.citations):
                    links = [(self._link_view(session, ref.normalized, link_values(ref)),
                              occurrence_row(ref, None, None))
                             for ref in detection.links if ref.citation_index == ordinal]
                    work.append(Work((index, ordinal), citation_row(cite, ordinal, None, None),
                                     links))
        return work

    def _stored_work(self, session: Session, citation: m.Citation) -> Work:
        links = [(self._remember(link), occ)
                 for link, occ in stored_links.of_citation(session, citation.id)]
        return Work(citation.id, citation, links)

    def _link_view(self, session: Session, normalized: str, values: dict[str, object]) -> m.Link:
        if normalized not in self._links_seen:
            stored = stored_links.link(session, normalized)
            self._remember(stored or m.Link(normalized=normalized, **values))
        return self._links_seen[normalized]

    def _remember(self, link: m.Link) -> m.Link:
        view = self._links_seen.setdefault(link.normalized, link)
        self._link_base.setdefault(link.normalized, _columns(view))
        return view

    def expanded_links(self) -> list[tuple[str, str]]:
        """(normalized URL, kind) of every short link target this run expanded."""
        return [(e.normalized, e.kind) for e in self._expanded]

    # -- the network phase ---------------------------------------------------------
    def run(self, work: list[Work], progress: Progress | None = None) -> ResolveStats:
        for item in work:
            if progress:
                progress(f"@{item.citation.handle or '?'}")
            self.resolve(item)
            self.work.append(item)
            crashpoints.reached("resolve:citation_done")
        self.stats.bytes_saved = self.recorder.bytes_saved
        self.stats.failures.update(self.fetcher.failures)
        self.stats.messages.extend(self.fetcher.messages)
        return self.stats

    # -- one citation --------------------------------------------------------
    def resolve(self, work: Work) -> None:
        citation = work.citation
        self.stats.citations += 1
        links = work.links
        for link, occurrence in links:
            if link.kind in SHORT_KINDS:
                self._resolve_short_link(link, work, occurrence)
        tweet_id, method = self._named_tweet(citation, [link for link, _ in links])
        decision = None
        if tweet_id is None and citation.handle and citation.cited_date:
            decision = self._search(citation)
            tweet_id, method = decision.tweet_id, "search"
        if tweet_id is None:
            if decision is not None and not decision.candidates and not self.fetcher.index_answered:
                self._failed(citation, "the Wayback Machine's index could not be reached")
                return
            self._unclaimed(citation, ambiguous=decision is not None
                            and decision.state == "ambiguous")
            return
        citation.tweet_id = tweet_id
        citation.match_method = method
        tweet = self._tweet(tweet_id, citation.handle)
        if tweet is None:
            self._failed(citation, "no provider answered")
            return
        self._verify(citation, tweet)
        self.stats.tweets[tweet.state] += 1
        citation.resolve_state = "resolved"
        citation.resolve_error = None
        self.stats.resolved += 1

    def _resolve_short_link(self, link: m.Link, work: Work,
                            occurrence: m.LinkOccurrence) -> None:
        if link.resolved_url and not link.resolve_error and not self.refetch:
            return
        resolved_at = dt.datetime.now(dt.UTC)
        try:
            fetch = self.client.get(link.normalized, follow=lambda u: parse_status_url(u) is None)
        except FetchError as exc:
            self.recorder.failure(link.normalized, str(exc))
            self.stats.failures[f"link_{exc.cause}"] += 1
            hop = "" if exc.url == link.normalized else f" (at {exc.url})"
            self.stats.messages.append(f"{link.normalized}{hop}: {exc.message}")
            link.resolve_error = reason(exc)
            link.resolve_error_message = one_line(f"{exc.message}{hop}")
            return
        captures = self.recorder.fetch(fetch)
        self._hops.append(_Hops(link.normalized, resolved_at,
                                list(zip(fetch.exchanges, captures, strict=True))))
        target = fetch.stopped_at or fetch.final_url
        link.resolved_url = target
        link.resolve_error = link.resolve_error_message = None
        if fetch.stopped_at is None and fetch.status >= 400:  # dead (404, 410) or refusing
            link.resolved_url = target if fetch.hops else None
            link.resolve_error = f"http_{fetch.status}"
            link.resolve_error_message = one_line(f"HTTP {fetch.status} from {target}")
            self.stats.failures[f"link_http_{fetch.status}"] += 1
            self.stats.messages.append(f"{link.normalized}: {link.resolve_error_message}")
        expanded = fetch.exchanges[0].location
        if expanded and link.kind == "tco":
            self._add_expanded(fetch.exchanges[0].url, expanded, work, occurrence)
        parsed = parse_status_url(target)
        if parsed:
            link.tweet_id, link.handle = parsed[1], parsed[0]

    def _add_expanded(self, base: str, location: str, work: Work,
                      occurrence: m.LinkOccurrence) -> None:
        url = urljoin(base, location)
        kind, tweet_id, handle = classify_url(url)
        normalized = normalize_url(url)
        if any(e.key == work.key and e.normalized == normalized for e in self._expanded):
            return
        if isinstance(work.key, int):
            with self.db.reader() as session:
                if stored_links.cites(session, work.key, normalized):
                    return
        self._expanded.append(_Expanded(work.key, url, normalized, kind, tweet_id, handle,
                                        occurrence.start, occurrence.end,
                                        f"expanded from {occurrence.url}"))
        self.stats.links_expanded += 1

    def _named_tweet(self, citation: m.Citation,
                     links: list[m.Link]) -> tuple[str | None, str | None]:
        # A tweet the article itself names (embed, status URL), not one a
        # previous run found by search or through a link: those are found again.
        if citation.tweet_id and citation.match_method in (None, "status_url"):
            return citation.tweet_id, "status_url"
        handle = (citation.handle or "").casefold()
        for link in links:
            if link.tweet_id and (not handle or (link.handle or "").casefold() in ("", handle)):
                return link.tweet_id, f"{link.kind}_link"
        return None, None

    def _search(self, citation: m.Citation) -> matching.Decision:
        """Ask ``matching.choose`` about the account's archived tweets of the day;
        every candidate is kept on the citation, whatever is decided."""
        assert citation.handle and citation.cited_date
        found = []
        for candidate in self.fetcher.candidates(citation.handle, citation.cited_date):
            answer = self._tweet_answer(candidate, citation.handle)
            found.append(_known(answer.tweet))
        decision = matching.choose(_cited(citation), found,
                                   threshold=self.settings.match_threshold,
                                   margin=self.settings.match_margin)
        citation.candidates = list(decision.candidates) or None
        if decision.tweet_id is not None:
            citation.match_score = decision.score
        return decision

    def _failed(self, citation: m.Citation, why: str) -> None:
        """Nothing could be asked: ``failed`` (retried by ``resolve --retry-failed``),
        never ``unresolved``, which says the archives were searched in vain."""
        citation.resolve_state = "failed"
        citation.resolve_error = why
        self.stats.failed += 1

    def _unclaimed(self, citation: m.Citation, *, ambiguous: bool) -> None:
        """No tweet claimed: clear what an earlier run claimed, say why."""
        citation.tweet_id = None
        citation.match_method = None
        citation.match_score = None
        flags = [f for f in (citation.flags or []) if f not in VERIFY_FLAGS]
        citation.flags = flags + (["ambiguous"] if ambiguous else [])
        citation.resolve_error = None
        if ambiguous:
            citation.resolve_state = "ambiguous"
            self.stats.ambiguous += 1
        else:
            citation.resolve_state = "unresolved"
            self.stats.unresolved += 1

    # -- tweets and media ----------------------------------------------------
    def _stored_tweet(self, tweet_id: str) -> m.Tweet | None:
        if tweet_id not in self._tweets:
            with self.db.reader() as session:
                stored = resolution.tweet(session, tweet_id)
            if stored is None:
                return None
            self._tweets[tweet_id] = stored
        return self._tweets[tweet_id]

    def _tweet_answer(self, tweet_id: str, handle: str | None) -> Answer:
        stored = self._stored_tweet(tweet_id)
        if stored is not None and stored.state in FINAL_TWEET_STATES and not self.refetch:
            return Answer(_tweet_value(stored), None)
        answer = self.fetcher.tweet(tweet_id, handle)
        self._store_tweet(answer)
        return answer

    def _tweet(self, tweet_id: str, handle: str | None) -> m.Tweet | None:
        self._tweet_answer(tweet_id, handle)
        row = self._tweets.get(tweet_id)
        if row is not None and row.state != "unreachable":
            return row
        return None

    def _store_tweet(self, answer: Answer) -> None:
        t = answer.tweet
        now = dt.datetime.now(dt.UTC)
        row = self._stored_tweet(t.id) or self._tweets.setdefault(t.id, m.Tweet(id=t.id))
        _apply_answer(row, answer, now)
        self._answers.append((answer, now))
        for item in t.media:
            self._save_media(t.id, item)

    def _save_media(self, tweet_id: str, item: MediaItem) -> None:
        if (tweet_id, item.url) in self._media_done:
            return
        with self.db.reader() as session:
            row = resolution.media(session, tweet_id, item.url)
        if row is not None and row.sha256 and not self.refetch:
            return
        writer = self.blobs.writer()
        try:
            fetch = self.client.get(item.url, sink=writer)
        except FetchError as exc:
            writer.abort()
            self.recorder.failure(item.url, str(exc))
            self.stats.failures[f"media_{exc.cause}"] += 1
            self.stats.messages.append(str(exc))
            return
        if not 200 <= fetch.status < 300:
            writer.abort()
            self.recorder.fetch(fetch)
            self.stats.failures[f"media_http_{fetch.status}"] += 1
            self.stats.messages.append(f"{item.url}: HTTP {fetch.status}")
            return
        sha, size = writer.commit()
        capture = self.recorder.fetch(fetch, blob=(sha, size))[-1]
        self._media.append(_SavedMedia(
            tweet_id, item.url, item.kind, sha, size, item.width, item.height,
            (fetch.content_type or item.mime or "").split(";")[0] or None, capture))
        self._media_done.add((tweet_id, item.url))
        self.stats.media_saved += 1

    # -- verification --------------------------------------------------------
    def _renamed(self, citation: m.Citation, tweet: m.Tweet) -> bool:
        """Evidence that the account was renamed from the cited handle:

        - a status URL Twitter itself wrote with that handle for this tweet (a
          pic.twitter.com or t.co target, or the URL in embed markup; t.co keeps
          the URL as posted, the services answer with the current name), or
        - a Wayback capture of the tweet under the cited handle whose page (or
          archived JSON) shows the same user id as the services give now.

        A status URL typed in the article is no evidence: twitter.com serves a
        tweet under any handle."""
        assert citation.handle
        with self.db.reader() as session:
            handles = stored_links.handles_naming(session, tweet.id, SHORT_KINDS)
        handles += [link.handle for link in self._links_seen.values()  # this run's, not stored
                    if link.tweet_id == tweet.id and link.kind in SHORT_KINDS]
        if any(matching.same_handle(h, citation.handle) for h in handles):
            return True
        embedded = parse_status_url(citation.status_url or "") if citation.kind == "embed" else None
        if embedded and embedded[1] == tweet.id and matching.same_handle(embedded[0],
                                                                          citation.handle):
            return True
        if not tweet.user_id:
            return False
        copy = self.fetcher.archived(tweet.id, citation.handle)
        return copy is not None and matching.renamed(citation.handle, tweet.user_id,
                                                     copy.tweet.handle, copy.tweet.user_id)

    def _verify(self, citation: m.Citation, tweet: m.Tweet) -> None:
        """Flag every disagreement between the citation and its tweet (every path
        that claims a tweet comes through here)."""
        renamed = bool(citation.handle and tweet.handle
                       and not matching.same_handle(citation.handle, tweet.handle)
                       and self._renamed(citation, tweet))
        known = replace(_known(_tweet_value(tweet)), renamed_from_cited=renamed)
        flags = [f for f in (citation.flags or []) if f not in VERIFY_FLAGS]
        flags += matching.disagreements(_cited(citation), known,
                                        threshold=self.settings.match_threshold)
        if citation.quote_text and tweet.text and citation.match_score is None:
            citation.match_score = round(similarity(citation.quote_text, tweet.text), 1)
        if citation.match_method != "search":
            citation.candidates = None
        citation.flags = list(dict.fromkeys(flags))


    # -- the write phase ------------------------------------------------------------
    def apply(self, session: Session, versions: dict[int, int] | None = None) -> None:
        """Write what ``run`` found, in the run's transaction. Captures are stored
        already (``Recorder.store``); ``versions`` maps a document index to the id
        of the version stored for it, for citations that were not stored before."""
        versions = versions or {}
        citations = {item.key: self._citation_row(session, item.key, versions)
                     for item in self.work}
        changed = {}
        for normalized, view in self._links_seen.items():
            base = self._link_base[normalized]
            diff = {k: v for k, v in _columns(view).items() if v != base[k]}
            if diff:
                changed[normalized] = diff
        names = {*changed, *(h.link for h in self._hops)}
        links = stored_links.by_normalized(session, sorted(names))
        for normalized, diff in changed.items():
            if normalized in links:  # only what resolution changed: a check may have run
                for key, value in diff.items():
                    setattr(links[normalized], key, value)
        for chain in self._hops:
            if chain.link not in links:
                continue
            rows.add(session, *(m.RedirectHop(
                link_id=links[chain.link].id, resolved_at=chain.resolved_at, hop=order,
                url=exchange.url, status=exchange.status, location=exchange.location,
                capture_id=capture.id) for order, (exchange, capture) in enumerate(chain.hops)))
        for expanded in self._expanded:
            self._store_expanded(session, expanded, citations.get(expanded.key))
        for answer, when in self._answers:
            _apply_answer(resolution.tweet_to_write(session, answer.tweet.id), answer, when)
        rows.save(session)
        for saved in self._media:
            self._store_media(session, saved)
        for item in self.work:
            row = citations[item.key]
            if row is not None:
                _copy_changes(item.citation, row)
        rows.save(session)

    @staticmethod
    def _citation_row(session: Session, key: CitationKey,
                      versions: dict[int, int]) -> m.Citation | None:
        if isinstance(key, int):
            return resolution.citation(session, key)
        index, ordinal = key
        if index not in versions:
            return None
        return resolution.citation_at(session, versions[index], ordinal)

    @staticmethod
    def _store_expanded(session: Session, e: _Expanded, citation: m.Citation | None) -> None:
        if citation is None:
            return
        link_id = upsert_link(session, e.normalized, {
            "url": e.url, "kind": e.kind, "tweet_id": e.tweet_id, "handle": e.handle,
            "domain": (urlsplit(e.normalized).hostname or "").lower() or None,
        })
        stored_links.add_to_citation(session, citation, link_id, m.LinkOccurrence(
            link_id=link_id, article_id=citation.article_id,
            version_id=citation.version_id, citation_id=citation.id, url=e.url,
            paragraph=-1, start=e.start, end=e.end, anchor_text=e.anchor_text))

    @staticmethod
    def _store_media(session: Session, saved: _SavedMedia) -> None:
        row = resolution.media_to_write(session, saved.tweet_id, saved.url, saved.kind)
        row.sha256, row.size, row.capture_id = saved.sha256, saved.size, saved.capture.id
        row.width, row.height, row.mime = saved.width, saved.height, saved.mime


def _apply_answer(row: m.Tweet, answer: Answer, when: dt.datetime) -> None:
    """What a provider's answer changes in a tweet row (or a view of one)."""
    t = answer.tweet
    if t.state == "unreachable" and row.state not in (None, "unknown", "unreachable"):
        return  # a failed look does not erase what we knew
    row.state = t.state
    row.provider = t.provider
    if answer.capture is not None and answer.capture.id is not None:
        row.capture_id = answer.capture.id
    row.fetched_at = when
    if t.state == "available":
        row.evidence = None
    elif answer.evidence is not None:
        row.evidence = answer.evidence
    for name in ("handle", "user_id", "author_name", "text", "created_at", "lang",
                 "reply_to_id", "quoted_id", "detail"):
        value = getattr(t, name)
        if value is not None:
            setattr(row, name, value)
    if t.text is not None:
        row.hashtags, row.mentions = list(t.hashtags), list(t.mentions)
        row.urls = [{"short": u.short, "expanded": u.expanded} for u in t.urls]


def _columns(row: object) -> dict[str, object]:
    return rows.columns(row)


def _copy_changes(view: m.Citation, row: m.Citation) -> None:
    """Copy onto ``row`` the columns that resolution changed on ``view`` (every
    column of a view that was never stored, but its place in the article)."""
    for key, value in rows.changed_columns(view, FIXED_CITATION_COLUMNS).items():
        setattr(row, key, value)



def _cited(citation: m.Citation) -> matching.Cited:
    return matching.Cited(quote=citation.quote_text or "", handle=citation.handle,
                          date=citation.cited_date)


def _known(tweet: Tweet) -> matching.Known:
    return matching.Known(tweet_id=tweet.id, text=tweet.text, handle=tweet.handle,
                          created_at=tweet.created_at, state=tweet.state,
                          quoted_id=tweet.quoted_id)


def one_line(text: str, limit: int = 300) -> str:
    """A message fit for a table cell: one line, bounded."""
    return " ".join(text.split())[:limit]


def _tweet_value(row: m.Tweet) -> Tweet:
    return Tweet(id=row.id, state=row.state, provider=row.provider or "stored",
                 handle=row.handle, user_id=row.user_id, author_name=row.author_name,
                 text=row.text, created_at=row.created_at, lang=row.lang,
                 quoted_id=row.quoted_id)
