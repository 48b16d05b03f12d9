"""The record's changes as an Atom feed (RFC 4287): the report's `feed.xml`.

Pure: `atom(...)` returns the XML text of entries the report has prepared. Every text goes
through `esc`; ids are `urn:uuid:` names derived from what an entry says, so the same record
always gives the same feed, byte for byte, and an entry keeps its id from one run to the next.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class Link:
    """A link of an entry: its page on the site (alternate) or a source (related)."""

    href: str
    rel: str = "alternate"
    title: str = ""
    type: str = ""


@dataclass(frozen=True)
class Entry:
    """One change of the record: a dated event, observation, assessment or count."""

    key: str  # what makes the entry itself: its id is derived from it
    title: str
    updated: dt.date  # by when it surely happened (never after the record's date)
    summary: str
    links: Sequence[Link] = field(default_factory=tuple)


def esc(text: object) -> str:
    """Text safe in XML element content and in double-quoted attributes."""
    return escape(str(text), quote=True)


def urn(key: str) -> str:
    """A stable, absolute id for `key` (a name-based UUID)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'unionstate:' + key)}"


def stamp(day: dt.date) -> str:
    """A date as an RFC 3339 date-time, as Atom requires (midnight UTC)."""
    return f"{day.isoformat()}T00:00:00Z"


def _link(link: Link) -> str:
    extra = f' type="{esc(link.type)}"' if link.type else ""
    extra += f' title="{esc(link.title)}"' if link.title else ""
    return f'<link rel="{esc(link.rel)}" href="{esc(link.href)}"{extra}/>'


def atom(
    *,
    title: str,
    subtitle: str,
    feed_id: str,
    updated: dt.date,
    author: str,
    generator: str,
    home: str,
    self_href: str | None,
    entries: Sequence[Entry],
) -> str:
    """The feed document: its metadata, then `entries` in the order given (newest first).

    Two entries with the same key get distinct ids (a counter joins the key).
    """
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM}" xml:lang="en">',
        f"<id>{esc(feed_id)}</id>",
        f"<title>{esc(title)}</title>",
        f"<subtitle>{esc(subtitle)}</subtitle>",
        f"<updated>{stamp(updated)}</updated>",
        f"<author><name>{esc(author)}</name></author>",
        f"<generator>{esc(generator)}</generator>",
        _link(Link(home, "alternate", type="text/html")),
    ]
    if self_href:
        head.append(_link(Link(self_href, "self", type="application/atom+xml")))
    seen: dict[str, int] = {}
    body = []
    for entry in entries:
        count = seen.get(entry.key, 0)
        seen[entry.key] = count + 1
        key = entry.key if count == 0 else f"{entry.key}\n{count}"
        body.append(
            "<entry>"
            f"<id>{urn(key)}</id>"
            f"<title>{esc(entry.title)}</title>"
            f"<updated>{stamp(entry.updated)}</updated>"
            + "".join(_link(link) for link in entry.links)
            + f"<summary>{esc(entry.summary)}</summary>"
            "</entry>"
        )
    return "\n".join([*head, *body, "</feed>"]) + "\n"
