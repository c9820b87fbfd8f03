"""Publishing: the documents people read, all log text redacted and neutralized.

``render`` writes the worklog, its index and the job summary; ``issue_render`` the issue
titles, bodies, comments and the dashboard; ``markdown`` the safe building blocks (code spans
and fences, neutralized text, the parse-and-verify check); ``sparkline`` the hour's chart.

May import: every other core package (it words what ``core.planning`` decided), ``model``,
``errors``.  Nothing in the core imports it.
"""
