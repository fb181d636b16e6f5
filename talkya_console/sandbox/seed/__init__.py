"""Seed data: the fixed demo credentials and staff, and the demo clinic's records."""
