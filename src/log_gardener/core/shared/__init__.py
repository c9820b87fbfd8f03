"""Shared by several stages, below them all.

``state`` is state.json (what earlier runs left: known clusters, problems, cursors);
``redact`` (with ``secret_formats``) turns log text into text without secrets or personal data;
``marker`` writes and reads the hidden markers that identify the gardener's issues and comments.

May import: ``model``, ``errors`` and each other.  No other core package.
"""
