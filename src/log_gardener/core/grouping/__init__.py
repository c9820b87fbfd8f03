"""Grouping: log entries -> templates (clusters) -> problems.

``ingest`` feeds entries through ``normalize`` (one ``LogRecord`` each; ``stacktrace`` parses
traces) into ``cluster`` (templates with stable ``fingerprint``\\ s); ``platform`` and ``infra``
name the Cloud Run platform's own messages; ``problems`` folds templates into problems (a root
and its symptoms).  ``log_analytics`` is the same first pass written as BigQuery SQL.

May import: ``core.judging`` (the rules file's targets and custom groups), ``core.shared``,
``model``, ``errors``.  Not planning or publishing.
"""
