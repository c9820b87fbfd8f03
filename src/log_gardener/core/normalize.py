"""Cloud Logging ``LogEntry`` (decoded JSON, camelCase) -> ``LogRecord``.  Pure.

OWNER: normalize helper.  Contract:
- ``normalize_entry(entry, line_no)`` never raises for bad input: it returns ``MalformedEntry``
  (not an object, missing/bad timestamp, unknown severity, no payload) with a reason in our
  own words (no log text in the reason).
- Service/revision/location from resource labels (cloud_run_revision, cloud_run_job,
  k8s_container, gce_instance, cloud_function, generic), logger/function/line from
  ``sourceLocation`` and common jsonPayload fields, exception type/value and frames parsed from
  stack traces (Python with chains, Java with ``Caused by:``, Go panics, Node.js) found in
  textPayload, jsonPayload.message or fields like stack_trace/exception/traceback/error.stack.
- protoPayload audit entries: message "<methodName> on <resourceName>: <status>".
"""

from __future__ import annotations

from log_gardener.model import LogRecord, MalformedEntry


def normalize_entry(entry: object, line_no: int) -> LogRecord | MalformedEntry:
    raise NotImplementedError
