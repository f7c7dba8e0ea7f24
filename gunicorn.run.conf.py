"""gunicorn settings for `make run`: the one-command demo on a production-grade server.

`make run` starts `gunicorn --config gunicorn.run.conf.py` (and so does
tests/lms/core/test_development_mail.py). The app keeps its embedded development
settings (lms/core/config.py: SQLite in instance/, mail printed in full on this console,
the outbox delivered in-process after each commit); only the server changes. `make dev`
is Flask's development server instead, with the reloader and the debugger.

Not named gunicorn.conf.py on purpose: gunicorn reads that file by itself for any
command started in this folder (`make bench` among them).
"""

import os

_port = os.environ.get("PORT", "5000")

wsgi_app = "lms.app:create_app()"
bind = [f"127.0.0.1:{_port}"]
# Two sync workers, one per core on the 2-core machines this was measured on (3 served
# about as fast, 4 or threads slower). SQLite in WAL mode and the outbox's claims are
# safe across processes.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# Ctrl-C stops at once; on SIGTERM a request in flight gets this long to finish.
graceful_timeout = 5
# No runtime control socket (gunicorn 25+): nothing here uses it, and one shared path
# in the home folder would clash with any other gunicorn on the machine.
control_socket_disable = True

# The console is for development mail and errors; LMS_ACCESS_LOG=1 adds one short line
# per request (method, path, status, bytes, milliseconds).
errorlog = "-"
loglevel = "info"
accesslog = "-" if os.environ.get("LMS_ACCESS_LOG") else None
access_log_format = "%(m)s %(U)s %(s)s %(b)sB %(M)sms"

# Links in mail sent outside a request point at this server too.
os.environ.setdefault("LMS_BASE_URL", f"http://127.0.0.1:{_port}")
