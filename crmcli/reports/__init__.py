"""Dashboards: the file's definition (spec), its figures (data), charts (PNG) and HTML."""
