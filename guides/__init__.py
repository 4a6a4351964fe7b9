"""Procedure guides: the content model, loading and validation, catalog import."""
