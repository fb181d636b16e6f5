"""Screens pushed over the desk: lookup, chart, help."""
