"""The record's sources: naming one on the command line, adding and editing them, citations.

A `--source` is a source id or an http(s) URL (`reference`: anything else is a usage
error); `cite` turns it into the id the record cites, adding a source for a URL the
record does not hold yet under an id derived from the URL (`derived_id`, never one that
is taken); `find` names one; `citations` counts where each source is cited. Adding and
editing sources are changes of `records`. Pure: nothing here touches the disk.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from unionstate.errors import Refused, UsageError
from unionstate.models import Dataset, Record, Source
from unionstate.plain import fields_of, is_record_list

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


def is_url(given: str) -> bool:
    """Whether `given` is meant as a URL (it starts with http:// or https://)."""
    return bool(_SCHEME.match(given))


def reference(given: str) -> str:
    """A --source as given, checked: a source id (lowercased) or a well-formed http(s) URL.

    UsageError (exit 2) for anything else: another scheme, a URL with a space or without
    a host, text that is no id.
    """
    text = given.strip()
    if is_url(text):
        if re.search(r"\s", text):
            raise UsageError(f"{given!r} is not a valid URL: it contains a space")
        try:
            parts = urlsplit(text)
            host, _ = parts.hostname, parts.port
        except ValueError as exc:
            raise UsageError(f"{given!r} is not a valid URL: {exc}") from None
        if not host:
            raise UsageError(f"{given!r} is not a valid URL: it names no host")
        return text
    if _ID.match(text.lower()):
        return text.lower()
    raise UsageError(
        f"{given!r} is neither a source id (such as 'tass-1295507') nor an http(s) URL"
    )


def derived_id(url: str, taken: set[str]) -> str:
    """An id for a new source at `url`: its host as a slug and the first free number."""
    host = (urlsplit(url).hostname or "source").removeprefix("www.")
    stem = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "source"
    n = 1
    while f"{stem}-{n}" in taken:
        n += 1
    return f"{stem}-{n}"


def by_url(dataset_sources: list[Any], url: str) -> Any | None:
    """The source (record or dict) at exactly `url`, if the record holds one."""
    for source in dataset_sources:
        if _field(source, "url") == url:
            return source
    return None


def _field(source: Any, name: str) -> Any:
    return source[name] if isinstance(source, dict) else getattr(source, name)


def cite(data: dict[str, Any], given: str | Sequence[str] | None) -> tuple[list[str], str | None]:
    """The ids to cite for the --source given (one or several, none for none) in an editable
    dataset `data`, in the order given and each once, and the ids of the sources added for
    URLs the record did not hold (comma-separated, else None).

    An unknown id is refused (exit 1) with the ids it may have meant.
    """
    givens = [given] if isinstance(given, str) else list(given or [])
    cited: list[str] = []
    added: list[str] = []
    for one in givens:
        ids, new = _cite_one(data, one)
        cited += [i for i in ids if i not in cited]
        added += [new] if new else []
    return cited, ", ".join(added) or None


def _cite_one(data: dict[str, Any], given: str) -> tuple[list[str], str | None]:
    if not given:
        return [], None
    from unionstate.queries import _did_you_mean

    ref = reference(given)
    sources: list[Any] = data["sources"]
    ids = [_field(s, "id") for s in sources]
    if is_url(ref):
        known = by_url(sources, ref)
        if known is not None:
            return [_field(known, "id")], None
        new_id = derived_id(ref, set(ids))
        host = (urlsplit(ref).hostname or "source").removeprefix("www.")
        sources.append({"id": new_id, "publisher": host, "url": ref})
        return [new_id], new_id
    if ref in ids:
        return [ref], None
    hint = _did_you_mean(ref, ids)
    raise Refused(
        f"unknown source {given!r}{hint} (give a source id, an http(s) URL, "
        "or add it with `unionstate source add URL`)"
    )


def find(dataset: Dataset, given: str) -> Source:
    """The source named by id or URL (Refused if the record holds none)."""
    from unionstate.queries import _did_you_mean

    ref = reference(given)
    for source in dataset.sources:
        if source.id == ref or source.url == ref:
            return source
    hint = "" if is_url(ref) else _did_you_mean(ref, (s.id for s in dataset.sources))
    raise Refused(f"unknown source {given!r}{hint}")


# ---------------------------------------------------------------- citations


def _cited_in(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _cited_in(item)
    elif isinstance(value, Record):
        for name, field in fields_of(value).items():
            if name == "sources" and isinstance(field, list) and not is_record_list(field):
                yield from (s for s in field if isinstance(s, str))
            else:
                yield from _cited_in(field)


def citations(dataset: Dataset) -> Counter[str]:
    """How many times each source id is cited anywhere in the record (0: not at all)."""
    counts: Counter[str] = Counter({s.id: 0 for s in dataset.sources})
    for name, value in fields_of(dataset).items():
        if name != "sources":
            counts.update(_cited_in(value))
    return counts
