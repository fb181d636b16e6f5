"""Patient search over an FTS5 trigram index: partial names in either order, phone fragments
in any formatting, DOB as people type it, MRN, email and tag."""

from __future__ import annotations

import re
from datetime import date, datetime

from talkya_console.sandbox.db import Database, Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.wire.ehr import Patient

_DOB_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m-%d-%y", "%d.%m.%Y")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]*$")


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


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


def index_row(patient: Patient) -> tuple[str, str, str, str, str, str, str]:
    names = " ".join(filter(None, [patient.first_name, patient.last_name, patient.preferred_name or ""]))
    phones = " ".join(d for p in patient.phones for d in {digits(p.number), digits(p.number)[-10:]})
    return (
        patient.id,
        names.lower(),
        phones,
        " ".join(e.lower() for e in patient.emails),
        patient.mrn.lower(),
        patient.dob.isoformat() if patient.dob else "",
        " ".join(t.lower() for t in patient.tags),
    )


def index(db: Database, patient: Patient) -> None:
    with db.tx():
        db.conn.execute("DELETE FROM patient_search WHERE pid = ?", (patient.id,))
        db.conn.execute(
            "INSERT INTO patient_search (pid, names, phones, emails, mrn, dob, tags) VALUES (?, ?, ?, ?, ?, ?, ?)",
            index_row(patient),
        )


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class _Terms:
    def __init__(self) -> None:
        self.match: list[str] = []  # FTS5 clauses (terms of 3+ characters)
        self.like: list[tuple[str, str]] = []  # (column, substring) for shorter terms

    def add(self, columns: str, term: str) -> None:
        term = term.lower()
        if len(term) >= 3:
            self.match.append(f"{{{columns}}} : {_quote(term)}")
        else:
            self.like.append((columns.split()[0], term))


def _classify(terms: _Terms, token: str) -> None:
    if "@" in token and _EMAIL.match(token):
        terms.add("emails", token)
        return
    dob = parse_dob(token)
    if dob is not None:
        terms.add("dob", dob.isoformat())
        return
    num = digits(token)
    if num and len(num) >= max(3, len(token) // 2) and not re.search(r"[a-zA-Z]", token):
        terms.add("phones mrn", num)
        return
    terms.add("names emails mrn tags", token)


def _tokens(query: str) -> list[str]:
    """Split on spaces and commas, but keep a phone typed with spaces as one number."""
    raw = [t for t in re.split(r"[\s,]+", query.strip()) if t]
    if len(raw) > 1 and all(re.fullmatch(r"[\d()+\-.]+", t) for t in raw):
        return ["".join(raw)]
    return raw


def patient_filter(
    *,
    query: str | None = None,
    name: str | None = None,
    dob: str | None = None,
    mrn: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    tag: str | None = None,
) -> Where | None:
    """A condition on `records` for the given search parameters, or None when there are none."""
    terms = _Terms()
    for token in _tokens(query or "")[:8]:
        _classify(terms, token)
    for token in (name or "").split()[:8]:
        terms.add("names", token)
    if dob:
        parsed = parse_dob(dob.strip())
        if parsed is None:
            raise ApiError(
                400, "parameter_invalid", "'dob' must be a date such as 1980-03-14 or 03/14/1980.", param="dob"
            )
        terms.add("dob", parsed.isoformat())
    if mrn:
        terms.add("mrn", mrn.strip())
    if phone:
        num = digits(phone)
        if len(num) < 3:
            raise ApiError(400, "parameter_invalid", "'phone' needs at least 3 digits.", param="phone")
        terms.add("phones", num)
    if email:
        terms.add("emails", email.strip())
    if tag:
        terms.add("tags", tag.strip())
    if not terms.match and not terms.like:
        return None
    sub = ["SELECT pid FROM patient_search WHERE 1"]
    args: list[str] = []
    if terms.match:
        sub.append("AND patient_search MATCH ?")
        args.append(" AND ".join(terms.match))
    for column, term in terms.like:
        sub.append(f"AND {column} LIKE ? ESCAPE '\\'")
        args.append("%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    return Where().raw(f"id IN ({' '.join(sub)})", *args)
