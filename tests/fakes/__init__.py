"""Small stateful fake servers on 127.0.0.1 for the external services (real clients talk to them)."""
