"""`make bench`: every page of the app under gunicorn and wrk, as fractions of a bare
Flask app and of /healthz in the same run. See benchmarks/README.md."""


class BenchError(RuntimeError):
    """The benchmark cannot go on; the message says why and what to do."""
