"""Publishing: the documents people read, all log text redacted and neutralized.

``render`` writes the worklog, its index and the job summary; ``issue_render`` the issue
titles, bodies, comments and the dashboard; ``markdown`` the safe building blocks (code spans
and fences, neutralized text, the parse-and-verify check); ``sparkline`` the hour's chart.

May import: ``core.grouping``, ``core.judging``, ``core.shared``, ``model``, ``errors``.
Not ``core.planning``.
"""
