"""Helpers for the tests: paths, the app set-up, factories, page and audit readers.

`paths` is pure and safe for unit tests; the other modules load the app's stack.
"""
