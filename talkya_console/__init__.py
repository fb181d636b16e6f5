"""Talkya Console: a staff console for Talkya clinics, with its sandbox, relay and client."""

__version__ = "0.1.0"
