"""Bytes to text for HTML pages whose declared charset may lie.

Vietnamese sites (and Vietnam News' feeds) declare one charset and send
another. The bytes win: valid UTF-8 is almost never an accident, so a page
that decodes as strict UTF-8 is read as UTF-8 whatever it declares.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset the HTTP header, else the first <meta> tag, claims (normalised name)."""
    candidates: list[str] = []
    if content_type:
        found = _HEADER_CHARSET.search(content_type)
        if found:
            candidates.append(found.group(1))
    found_meta = _META_CHARSET.search(body[:4096])
    if found_meta:
        candidates.append(found_meta.group(1).decode("ascii", "replace"))
    for name in candidates:
        try:
            return codecs.lookup(name).name
        except LookupError:
            continue
    return None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page; return (text, encoding actually used)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace"), "utf-8"
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[2:].decode(name, "replace"), name
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = declared_charset(body, content_type)
    if declared and declared not in {"utf-8", "utf-16", "utf-16-le", "utf-16-be"}:
        return body.decode(declared, "replace"), declared
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is not None:
        return str(best), best.encoding
    return body.decode("utf-8", "replace"), "utf-8"
