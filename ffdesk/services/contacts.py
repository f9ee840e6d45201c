"""Importing contacts from CSV: each bad row reported with its line and skipped."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ffdesk.engine.errors import UserError, ValidationError
from ffdesk.engine.system import System

COLUMNS = ("name", "email", "phone")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,32}$")


@dataclass
class ImportReport:
    """What an import did: counts, and one message per rejected row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def _check_row(line: int, row: dict[str, str]) -> tuple[str, str | None, str | None]:
    name = (row.get("name") or "").strip()
    email = (row.get("email") or "").strip() or None
    phone = (row.get("phone") or "").strip() or None
    if not name:
        raise ValidationError(f"line {line}: the name is empty")
    if email is not None and not EMAIL.match(email):
        raise ValidationError(f"line {line}: {email!r} is not an email address")
    if phone is not None and (not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        raise ValidationError(f"line {line}: {phone!r} is not a phone number")
    return name, email, phone


async def import_csv(system: System, path: Path) -> ImportReport:
    """Import contacts of the active company; a contact with the same email is updated."""
    if "Contact" not in system.registry:
        raise UserError("Install the contacts module first (ffdesk modules install contacts).")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not a UTF-8 text file.") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        raise UserError(f"{path}: line 1: {exc}.") from None
    if "name" not in header:
        raise UserError(f"{path}: the first line must name the columns name, email, phone.")
    Contact = system.registry["Contact"]
    cid = system.env.cid
    report = ImportReport()
    # Email addresses match whatever their case (Ann@X.org is ann@x.org): one contact each.
    by_email = {
        c.email.casefold(): c
        for c in await Contact.filter(company=cid, email__isnotnull=True).all()
    }
    async with system.db.transaction():
        while True:
            # The line a row starts on (a quoted field may span several lines).
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                # A malformed row (e.g. a field over the csv module's size limit) is one bad
                # row, not a failed import.
                report.errors.append(f"line {line}: {exc}")
                if reader.line_num < line:
                    break  # nothing was consumed: stop rather than loop
                continue
            if not cells:
                continue  # blank line
            row = dict(zip(header, cells, strict=False))
            try:
                name, email, phone = _check_row(line, row)
                existing = by_email.get(email.casefold()) if email else None
                if existing is None:
                    created = await Contact.create(name=name, email=email, phone=phone, company=cid)
                    if email:
                        by_email[email.casefold()] = created
                    report.created += 1
                elif (existing.name, existing.phone) != (name, phone):
                    existing.name, existing.phone = name, phone
                    await existing.save()
                    report.updated += 1
                else:
                    # Untouched, so its write date stays and the next sync does not resend it.
                    report.unchanged += 1
            except ValidationError as exc:
                message = str(exc)
                report.errors.append(
                    message if message.startswith("line") else f"line {line}: {message}"
                )
    return report
