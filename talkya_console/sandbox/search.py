"""Patient search over an FTS5 index: partial names in either order, phone fragments in any
formatting, DOB as people type it, MRN, email and tag.

Every term is a prefix query. Phones are indexed as all their digit suffixes, so any run of
digits a person remembers is the prefix of one of them; a DOB is one token (19800314), so a
date is a single-term lookup and a year alone is its prefix. The index's rowid is the patient's
rowid in `records`; patients are only ever inserted in creation order, so walking the index
by rowid descending is the list's keyset order and a page stops after `limit` matches.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from talkya_console.sandbox.db import Cursor, Database, Page
from talkya_console.sandbox.errors import ApiError
from talkya_console.wire.ehr import Patient

_DOB_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m-%d-%y", "%d.%m.%Y")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]*$")
_WORD = re.compile(r"\w+", re.UNICODE)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def national(number: str) -> str:
    """A North American number without its country code; others as they are."""
    d = digits(number)
    return d[1:] if len(d) == 11 and d.startswith("1") else d


def parse_dob(text: str) -> date | None:
    """`1980-03-14`, `03/14/1980` and `3/14/80` all mean 14 March 1980; two-digit years
    later than this year are taken as last century."""
    for fmt in _DOB_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if "%y" in fmt and parsed > date.today():
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    return None


def _suffixes(number: str) -> list[str]:
    return [number[i:] for i in range(max(0, len(number) - 3) + 1)]


def index_row(patient: Patient) -> tuple[str, str, str, str, str, str]:
    names = " ".join(filter(None, [patient.first_name, patient.last_name, patient.preferred_name or ""]))
    phones = sorted({s for p in patient.phones for s in _suffixes(national(p.number))})
    return (
        names,
        " ".join(phones),
        " ".join(patient.emails),
        f"{patient.mrn} {digits(patient.mrn)}",
        patient.dob.strftime("%Y%m%d") if patient.dob else "",
        " ".join(patient.tags),
    )


def index(db: Database, patient: Patient) -> None:
    with db.tx():
        rowid = db.conn.execute("SELECT rowid FROM records WHERE id = ?", (patient.id,)).fetchone()[0]
        db.conn.execute("DELETE FROM patient_search WHERE rowid = ?", (rowid,))
        db.conn.execute(
            "INSERT INTO patient_search (rowid, names, phones, emails, mrn, dob, tags) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rowid, *index_row(patient)),
        )


def _phrase(text: str, prefix: bool = True) -> str | None:
    words = _WORD.findall(text.lower())
    if not words:
        return None
    return '"' + " ".join(words) + '"' + ("*" if prefix else "")


class _Match:
    def __init__(self) -> None:
        self.clauses: list[str] = []

    def add(self, columns: str, text: str, prefix: bool = True) -> None:
        phrase = _phrase(text, prefix)
        if phrase:
            self.clauses.append(f"{{{columns}}} : {phrase}")

    def expression(self) -> str | None:
        return " AND ".join(self.clauses) or None


def _classify(match: _Match, token: str) -> None:
    if "@" in token and _EMAIL.match(token):
        match.add("emails", token)
        return
    dob = parse_dob(token)
    if dob is not None:
        match.add("dob", dob.strftime("%Y%m%d"), prefix=False)
        return
    if not re.search(r"[^\W\d_]", token) and len(digits(token)) >= 2:
        match.add("phones mrn dob", national(token))
        return
    # Not emails: their local parts ("lopez22") multiply the terms a name prefix must merge.
    match.add("names mrn tags", token)


def _tokens(query: str) -> list[str]:
    """Split on spaces and commas, but keep a phone typed with spaces as one number."""
    raw = [t for t in re.split(r"[\s,]+", query.strip()) if t]
    if len(raw) > 1 and all(re.fullmatch(r"[\d()+\-.]+", t) for t in raw):
        return ["".join(raw)]
    return raw


def match_expression(
    *,
    query: str | None = None,
    name: str | None = None,
    dob: str | None = None,
    mrn: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    tag: str | None = None,
) -> str | None:
    """The FTS5 query for the given search parameters, or None when there are none."""
    match = _Match()
    for token in _tokens(query or "")[:8]:
        _classify(match, token)
    for token in (name or "").split()[:8]:
        match.add("names", token)
    if dob:
        parsed = parse_dob(dob.strip())
        if parsed is None:
            raise ApiError(
                400, "parameter_invalid", "'dob' must be a date such as 1980-03-14 or 03/14/1980.", param="dob"
            )
        match.add("dob", parsed.strftime("%Y%m%d"), prefix=False)
    if mrn:
        match.add("mrn", mrn, prefix=False)
    if phone:
        if len(digits(phone)) < 3:
            raise ApiError(400, "parameter_invalid", "'phone' needs at least 3 digits.", param="phone")
        match.add("phones", national(phone))
    if email:
        match.add("emails", email)
    if tag:
        match.add("tags", tag, prefix=False)
    return match.expression()


def search_page(db: Database, workspace_id: str, expression: str, limit: int, cursor: str | None) -> Page:
    """One page of matches, newest first, with the same cursors as the plain list."""
    sql = (
        "SELECT r.ts, r.id, r.data FROM patient_search s JOIN records r ON r.rowid = s.rowid "
        "WHERE patient_search MATCH ? AND r.workspace_id = ? AND r.kind = 'patient'"
    )
    args: list[object] = [expression, workspace_id]
    if cursor:
        after = Cursor.decode(cursor)
        row = db.conn.execute(
            "SELECT rowid FROM records WHERE id = ? AND workspace_id = ?", (after.id, workspace_id)
        ).fetchone()
        if row is None:
            raise ApiError(
                400, "invalid_cursor", "The cursor is not one this API issued; start again without it.", param="cursor"
            )
        sql += " AND s.rowid < ?"
        args.append(row[0])
    sql += " ORDER BY s.rowid DESC LIMIT ?"
    args.append(limit + 1)
    rows = db.conn.execute(sql, args).fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = Cursor(rows[-1][0], rows[-1][1]).encode() if has_more and rows else None
    return Page([r[2] for r in rows], has_more, next_cursor)
