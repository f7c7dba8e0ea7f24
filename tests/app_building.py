"""What every test's app costs to build, paid once per test run instead of once per test.

Each test gets a new app (tests/conftest.py `make_app`), so each one used to compile
again what never changes from one app to the next, and that was most of a short test's
time (measured: 0.15 s of `create_app`, and ~50 ms for each template a page renders):

- the templates: `share_compiled_templates` gives every app's Jinja environment one
  bytecode cache for the run. Jinja checks each cached template against its source's
  checksum, so an edited template is compiled again; every app is built by
  `create_app` with the same Jinja options, so the compiled code is the same for all.
- the URL builders: Werkzeug compiles two Python functions from generated source for
  each of the ~160 URL rules of each app. `compile_url_builders_once` keeps the
  functions by everything their source is made from (the rule, its parsed parts,
  whether unknown arguments are appended) and compiles each once; rules with defaults
  are compiled as before. Werkzeug binds the function to each rule afterwards, so every
  rule still builds from its own converters.

Production builds one app per process and is untouched by either.
"""

from __future__ import annotations

from flask import Flask
from jinja2.bccache import Bucket, BytecodeCache
from werkzeug.routing.rules import Rule


class _CompiledTemplates(BytecodeCache):
    """Compiled templates in memory, by template, for every app of the run."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # ignored if the source has changed since

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _CompiledTemplates()


def share_compiled_templates(app: Flask) -> None:
    app.jinja_env.bytecode_cache = _TEMPLATES


def compile_url_builders_once() -> None:
    compile_builder = Rule._compile_builder
    if getattr(compile_builder, "compiles_once", False):
        return
    builders: dict[tuple, object] = {}

    def compile_once(rule: Rule, append_unknown: bool = True):
        if rule.defaults:
            return compile_builder(rule, append_unknown)
        key = (rule.rule, rule.subdomain, rule.host, append_unknown, tuple(rule._trace))
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    compile_once.compiles_once = True
    Rule._compile_builder = compile_once
