"""One module per resource area of the API page; each exposes `router`."""
