"""The stack's limit: one Flask route returning a small JSON body, served by the same
gunicorn settings as the app (`benchmarks.bare_app:app`)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return {"status": "ok", "service": "bare Flask"}
