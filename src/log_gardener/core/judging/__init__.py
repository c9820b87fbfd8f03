"""Judging: what the rules file says about a problem, and how its issue lives.

``rules`` is the rules file's model and ``judge`` (priority, labels, skip); ``lifecycle``
follows each problem across runs (new, ongoing, regressed, spiking, silent); ``windowing``
chooses the time window a run reads and the Cloud Logging filter for it.

May import: ``core.shared``, ``model``, ``errors``.  Nothing else in the core: grouping reads
the rules (targets, custom groups), so judging sits below grouping in the layers.
"""
