"""log-gardener: Cloud Logging problems, clustered and judged, kept in step with GitHub issues."""

__version__ = "0.1.0"
