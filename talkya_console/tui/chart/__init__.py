"""The patient chart's sections (tabs), each fetched the first time it is shown."""
