"""Masking of variable parts and stable fingerprints.  Pure.

OWNER: clustering helper.  Contract:
- ``mask_message(text)`` replaces variable parts (emails, URLs, IPs, UUIDs, hashes, hex, dates,
  times, durations, numbers, quoted values after ``=`` ...) by ``<KIND>`` placeholders.
- ``fingerprint`` of a stack group: exception type + top in-app frames (module, function; no
  line numbers); of a message group: masked template + logger + service; of a custom group: the
  rule's key.  Output: 16 lowercase hex chars of a SHA-256 over a string that starts with
  ``GROUPING_VERSION``.
"""
