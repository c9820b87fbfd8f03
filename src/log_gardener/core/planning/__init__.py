"""Planning: judged problems and the existing issues -> the ordered list of operations.

``plan`` decides every GitHub write: its kind, reason and data (``Changes``, ``DashboardRow``,
``RunLinks``).  The words come through ``IssueTexts``, which ``core.publishing.issue_render``
implements and the pipeline passes in, so planning never imports publishing.  The same input
gives the same plan; ``apply`` (outside the core) enforces the budgets and dry run.

May import: ``core.grouping``, ``core.judging``, ``core.shared``, ``model``, ``errors``.
Not ``core.publishing``.
"""
