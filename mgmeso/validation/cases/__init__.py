"""Validation cases; importing this package registers all of them."""
from . import closed_forms  # noqa: F401

