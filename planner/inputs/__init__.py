"""Inputs: GIS layers, coordinate datums, demand points, candidate and existing sites, uploads."""
