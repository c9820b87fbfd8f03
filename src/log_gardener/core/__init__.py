"""The pure core: log entries in, a plan of issue writes and the documents out.

No network, files, environment or clock: the composition root (``cli``) and ``pipeline`` pass
everything in.  One package per stage of a run, and each imports only the ones below it
(checked by import-linter, ``.importlinter``)::

    publishing   worklog, summary, issue bodies and comments: redacted, neutralized markdown
    planning     judged problems and existing issues -> the ordered operations (decides)
    grouping     entries -> templates (clusters) -> problems
    judging      the rules file: which problems matter, how urgent; lifecycle; read windows
    shared       what several stages read: state.json, redaction, the gardener's markers

All of them may import ``log_gardener.model`` and ``log_gardener.errors``; none imports an
adapter, ``config``, ``apply``, ``pipeline``, ``cli`` or an I/O library.
"""
