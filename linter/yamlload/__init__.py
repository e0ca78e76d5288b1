"""Helpers of `linter.loader`: scalar semantics, input guards, composition, construction, positions."""
