"""Presenting plans: maps, reports, exports (HTML and GeoPackage)."""
