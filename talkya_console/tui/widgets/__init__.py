"""The desk's panes and the header."""
