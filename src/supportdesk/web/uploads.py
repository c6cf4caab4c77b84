"""Evidence attachments: checked, stored outside the web root under random names, served only
as downloads.

- Allowed: a short list of evidence types (screenshots, PDFs, logs and text exports), each
  checked by extension *and* by its leading bytes where the format has a signature; anything
  else is refused, never "fixed up".
- Limits: `MAX_FILE_BYTES` per file, `MAX_FILES` per submission; the size is counted while
  streaming, so an oversized upload is cut off, not buffered whole.
- Storage: `<upload dir>/<2 hex>/<64 hex>` where the name is random (the client's file name is
  kept only as display text, cleaned); the directory comes from `SUPPORTDESK_UPLOAD_DIR`
  (default `./var/uploads`), never inside `static/`.
- Serving (`download_headers`): `Content-Type: application/octet-stream`,
  `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff` and a sandboxing CSP,
  so nothing uploaded is ever rendered or executed by the browser.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from supportdesk.db.base import Base
from supportdesk.db.types import UTCDateTime
from supportdesk.errors import InvalidInput

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
CHUNK = 64 * 1024

#: extension -> (display type, leading-byte signatures; empty = text, checked for NUL bytes)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".png": ("PNG image", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("JPEG image", (b"\xff\xd8\xff",)),
    ".jpeg": ("JPEG image", (b"\xff\xd8\xff",)),
    ".gif": ("GIF image", (b"GIF87a", b"GIF89a")),
    ".webp": ("WebP image", (b"RIFF",)),
    ".pdf": ("PDF document", (b"%PDF-",)),
    ".txt": ("text", ()),
    ".log": ("log file", ()),
    ".csv": ("CSV export", ()),
    ".json": ("JSON export", ()),
    ".har": ("HAR network log", ()),
}
ACCEPT_ATTR = ",".join(sorted(ALLOWED))


class Attachment(Base):
    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    #: Random storage name (hex); the file lives at <dir>/<name[:2]>/<name>.
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    #: The client's file name, cleaned; display only, never a path.
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def upload_dir() -> Path:
    return Path(os.environ.get("SUPPORTDESK_UPLOAD_DIR", "./var/uploads")).resolve()


def clean_filename(name: str | None) -> str:
    """A display name: no directories, no control or odd characters, at most 120 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKC", base)
    base = re.sub(r"[^\w.\- ()\[\]]+", "_", base).strip(" .")
    if not base:
        base = "attachment"
    stem, dot, ext = base.rpartition(".")
    if dot and len(ext) <= 10:
        return f"{stem[:100]}.{ext}"
    return base[:120]


@dataclass(frozen=True)
class Stored:
    stored_name: str
    filename: str
    kind: str
    size: int
    sha256: str


def _check_content(ext: str, head: bytes, filename: str) -> str:
    kind, signatures = ALLOWED[ext]
    if signatures:
        if not any(head.startswith(s) for s in signatures):
            raise InvalidInput(
                f"{filename} does not look like a {kind}; attach the original file",
                field="attachments",
            )
        if ext == ".webp" and head[8:12] != b"WEBP":
            raise InvalidInput(f"{filename} is not a WebP image", field="attachments")
    elif b"\x00" in head:
        raise InvalidInput(f"{filename} is not a text file", field="attachments")
    return kind


def save(stream: BinaryIO, filename: str | None, *, directory: Path | None = None) -> Stored:
    """Check and store one upload; returns what to record. Refuses unknown types, wrong
    content and files over `MAX_FILE_BYTES` (the partial file is removed)."""
    shown = clean_filename(filename)
    ext = os.path.splitext(shown)[1].lower()
    if ext not in ALLOWED:
        allowed = ", ".join(sorted(ALLOWED))
        raise InvalidInput(
            f"{shown}: this file type is not accepted (allowed: {allowed})", field="attachments"
        )
    root = directory or upload_dir()
    name = secrets.token_hex(32)
    target = root / name[:2] / name
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    size = 0
    head = b""
    kind = ""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                if not kind:
                    head += chunk
                    if len(head) >= 16 or not chunk:
                        kind = _check_content(ext, head[:512], shown)
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise InvalidInput(
                        f"{shown} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
                        field="attachments",
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput(f"{shown} is empty", field="attachments")
        if not kind:
            kind = _check_content(ext, head[:512], shown)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return Stored(name, shown, kind, size, digest.hexdigest())


def record(
    db_session: Session, *, ticket_id: int, stored: Stored, uploaded_by: str, now: datetime
) -> Attachment:
    row = Attachment(
        ticket_id=ticket_id,
        stored_name=stored.stored_name,
        filename=stored.filename,
        kind=stored.kind,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=uploaded_by,
        created_at=now,
    )
    db_session.add(row)
    return row


def discard(stored: Stored, *, directory: Path | None = None) -> None:
    """Remove a stored file whose database row was not committed."""
    root = directory or upload_dir()
    (root / stored.stored_name[:2] / stored.stored_name).unlink(missing_ok=True)


def path_of(row: Attachment, *, directory: Path | None = None) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", row.stored_name):
        raise InvalidInput("corrupt attachment record")
    root = directory or upload_dir()
    return root / row.stored_name[:2] / row.stored_name


def for_ticket(db_session: Session, *, ticket_id: int) -> list[Attachment]:
    q = select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
    return list(db_session.scalars(q).all())


def download_headers(row: Attachment) -> dict[str, str]:
    ascii_name = row.filename.encode("ascii", "replace").decode().replace('"', "_")
    return {
        "Content-Disposition": (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row.filename)}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
    }
