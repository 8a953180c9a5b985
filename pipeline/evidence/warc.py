"""A case's stored snapshots as one WARC file (ISO 28500, WARC/1.1), gzip per record.

Per snapshot a `request` record (the GET as the crawler would have sent it: the
request itself was not stored) and a `response` record (status line, stored
headers, stored body), linked both ways by WARC-Concurrent-To and dated when the
page was fetched; then one `metadata` record: the case, who exported it and when,
and the SHA-256 of every payload, so the file carries its own inventory.

The stored body is the decoded one (the crawler undoes gzip and chunking), so
headers that describe the bytes on the wire (Content-Encoding, Transfer-Encoding,
Content-Length) would contradict it and make replay tools and `warcio check`
misread the record: they are kept as `X-Archive-Orig-*` (the pywb convention)
and a Content-Length of the stored body is written instead.

Record ids are derived from the snapshot (uuid5), not drawn at random, so the
same case exported twice gives the same records; only the warcinfo and metadata
records, which carry the export time, differ.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http
import io
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from core.record import Snapshot

# Headers about the transfer, not the stored bytes (see the module docstring).
WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
ORIGINAL_PREFIX = "X-Archive-Orig-"
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:presswatch:evidence")  # our uuid5 namespace
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@dataclass(frozen=True, slots=True)
class WarcEntry:
    """What the WARC holds of one snapshot (for the manifest)."""

    snapshot_id: int
    url: str
    final_url: str
    status: int
    fetched_at: str
    payload_sha256: str
    payload_size: int
    request_record_id: str
    response_record_id: str

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class WarcFile:
    path: Path
    entries: list[WarcEntry]
    metadata_record_id: str


def _record_id(*parts: object) -> str:
    return f"<urn:uuid:{uuid.uuid5(_IDS, ':'.join(str(p) for p in parts))}>"


def warc_date(moment: dt.datetime) -> str:
    # SQLite gives naive datetimes back; every stored time is UTC.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    naive_utc = aware.astimezone(dt.UTC).replace(tzinfo=None)
    return str(datetime_to_iso_date(naive_utc, use_micros=True))


def _clean(value: str) -> str:
    # A header value may not break the record's framing.
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def response_headers(snapshot: Snapshot) -> list[tuple[str, str]]:
    """The stored headers made true of the stored body (see the module docstring)."""
    headers: list[tuple[str, str]] = []
    for name, value in sorted(snapshot.headers.items()):
        key = _clean(name)
        if not key:
            continue
        if key.lower() in WIRE_HEADERS:
            headers.append((ORIGINAL_PREFIX + key, _clean(value)))
        else:
            headers.append((key, _clean(value)))
    headers.append(("Content-Length", str(len(snapshot.body))))
    return headers


def _status_line(status: int) -> str:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"{status} {phrase}"


def _request_headers(url: str, user_agent: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc), ("Accept", ACCEPT)]
    if user_agent:
        headers.append(("User-Agent", _clean(user_agent)))
    return f"GET {target} HTTP/1.1", headers


def _write_snapshot(writer: Any, snapshot: Snapshot, user_agent: str) -> WarcEntry:
    assert snapshot.id is not None
    digest = hashlib.sha256(snapshot.body).hexdigest()
    target = snapshot.final_url or snapshot.url
    date = warc_date(snapshot.fetched_at)
    response_id = _record_id("snapshot", snapshot.id, digest, "response")
    request_id = _record_id("snapshot", snapshot.id, digest, "request")
    response = writer.create_warc_record(
        target,
        "response",
        payload=io.BytesIO(snapshot.body),
        length=len(snapshot.body),
        http_headers=StatusAndHeaders(
            _status_line(snapshot.status), response_headers(snapshot), protocol="HTTP/1.1"
        ),
        warc_headers_dict={
            "WARC-Record-ID": response_id,
            "WARC-Date": date,
            "WARC-Concurrent-To": request_id,
        },
    )
    request_line, request_headers = _request_headers(target, user_agent)
    request = writer.create_warc_record(
        target,
        "request",
        http_headers=StatusAndHeaders(request_line, request_headers, is_http_request=True),
        warc_headers_dict={
            "WARC-Record-ID": request_id,
            "WARC-Date": date,
            "WARC-Concurrent-To": response_id,
        },
    )
    writer.write_record(request)
    writer.write_record(response)
    return WarcEntry(
        snapshot_id=snapshot.id,
        url=snapshot.url,
        final_url=target,
        status=snapshot.status,
        fetched_at=date,
        payload_sha256=digest,
        payload_size=len(snapshot.body),
        request_record_id=request_id,
        response_record_id=response_id,
    )


def _json_record(
    writer: Any, uri: str, kind: str, data: dict[str, Any], headers: dict[str, str]
) -> Any:
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    return writer.create_warc_record(
        uri,
        kind,
        payload=io.BytesIO(body),
        length=len(body),
        warc_content_type="application/json",
        warc_headers_dict=headers,
    )


def write_case_warc(
    path: Path,
    snapshots: Sequence[Snapshot],
    *,
    case_id: int,
    case_title: str,
    exported_by: str,
    exported_at: dt.datetime,
    software: str,
    user_agent: str = "",
) -> WarcFile:
    """Write the WARC of a case's snapshots to `path` (replaced atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    when = warc_date(exported_at)
    info_id = _record_id("case", case_id, "warcinfo", when)
    metadata_id = _record_id("case", case_id, "metadata", when)
    seen: set[int] = set()
    entries: list[WarcEntry] = []
    with partial.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        info = writer.create_warcinfo_record(
            path.name,
            {
                "software": software,
                "format": "WARC File Format 1.1",
                "description": f"presswatch evidence bundle of case #{case_id}",
                "isPartOf": f"presswatch-case-{case_id}",
            },
        )
        info.rec_headers.replace_header("WARC-Record-ID", info_id)
        info.rec_headers.replace_header("WARC-Date", when)
        writer.write_record(info)
        for snapshot in snapshots:
            if snapshot.id is None or snapshot.id in seen:
                continue
            seen.add(snapshot.id)
            entries.append(_write_snapshot(writer, snapshot, user_agent))
        metadata = {
            "case_id": case_id,
            "case_title": case_title,
            "exported_by": exported_by,
            "exported_at": exported_at.astimezone(dt.UTC).isoformat(),
            "software": software,
            "payloads": [entry.as_dict() for entry in entries],
        }
        writer.write_record(
            _json_record(
                writer,
                f"urn:presswatch:case:{case_id}",
                "metadata",
                metadata,
                {"WARC-Record-ID": metadata_id, "WARC-Date": when, "WARC-Warcinfo-ID": info_id},
            )
        )
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return WarcFile(path=path, entries=entries, metadata_record_id=metadata_id)
