"""Planning: judged problems and the existing issues -> the ordered list of operations.

``plan`` decides every GitHub write (its kind, reason and data); the texts come from
``core.publishing``.  The same input gives the same plan; ``apply`` (outside the core) enforces
the budgets and dry run.

May import: every other core package, ``model``, ``errors``.  Nothing in the core imports it.
"""
