"""Every page `make bench` loads answers on seed-scale data, as its person, with the
status and content type the run expects: each target's placeholders are found by
`benchmarks.inprocess.discover`, and the run will not stop on a page that has no data."""

from __future__ import annotations

from benchmarks.forms import FORMS
from benchmarks.inprocess import discover, log_in
from benchmarks.targets import ACCOUNTS, PLACEHOLDERS, TARGETS
from lms import scale
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import to_local
from tests.conftest import _empty_all_tables

PASSWORD = "bench-passphrase-for-tests"


def test_every_target_answers_on_seed_scale_data(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)  # the register POST's body carries the page's token
    with app.app_context():
        _empty_all_tables()
        scale.seed(0.01, seed=1, password=PASSWORD, today=to_local(utcnow()).date())
        db.session.commit()
        values, _ = discover(ACCOUNTS)
    assert set(values) == set(PLACEHOLDERS)
    clients = {}
    answered = {}
    for target in TARGETS:
        if target.server != "app":
            continue
        if target.who not in clients:
            clients[target.who] = log_in(app, ACCOUNTS.get(target.who), PASSWORD)
        client, path = clients[target.who], target.url_path(values)
        if target.method == "POST":
            bodies, _ = FORMS[target.form](client.get(path).get_data(as_text=True))
            reply = client.post(
                path,
                data=bodies[0],
                content_type="application/x-www-form-urlencoded",
                headers={"Referer": f"http://localhost{path}"},
            )
        else:
            reply = client.get(path)
        answered[target.name] = (reply.status_code, reply.content_type.split(";")[0])
    expected = {
        target.name: (target.expect, target.content_type)
        for target in TARGETS
        if target.server == "app"
    }
    assert {
        name: (status, content_type if expected[name][1] else "")
        for name, (status, content_type) in answered.items()
    } == expected
