"""``studbook validate``: every problem of the whole book at once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..rules import Finding, check_book
from .book import load_book


def validate_book(session: Session) -> list[Finding]:
    """All errors and warnings of the book, animal by animal."""
    return check_book(load_book(session))
