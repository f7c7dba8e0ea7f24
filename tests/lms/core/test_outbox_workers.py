"""Real `flask lms worker` processes delivering through the real SMTP test server.

Each worker is started as an operator starts it (`flask --app lms.app lms worker`) on
the test database, with `--until-empty` so that it stops by itself once nothing is due.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import insert, select

from lms.core import outbox
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from tests.conftest import MailSink
from tests.helpers import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[3]
FLASK = Path(sys.executable).with_name("flask")  # the virtual environment's
DEADLINE = 60  # seconds; only reached when a worker hangs
# SQLite (the embedded mode: one host, a few processes) is proven on fewer.
ON_POSTGRES = os.environ.get("LMS_TEST_DATABASE_URL", "sqlite").startswith("postgres")
MESSAGES = 2_000 if ON_POSTGRES else 500


def start_worker(app, port: int, *args: str) -> subprocess.Popen:
    """`flask lms worker` on the test database, sending to the server on `port`."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LMS_", "MAIL_", "FLASK_", "DATABASE_", "SECRET_"))
    }
    environment.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=app.config["SECRET_KEY"],
        LMS_ENV="development",
        LMS_OUTBOX_INLINE="0",
        MAIL_TRANSPORT="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        PYTHONUNBUFFERED="1",
        # A test needs no commit to survive a power cut: PostgreSQL need not wait for
        # the disk at each message's commit (libpq reads this for every connection).
        PGOPTIONS="-c synchronous_commit=off",
    )
    return subprocess.Popen(  # noqa: S603 (our own command line)
        [str(FLASK), "--app", "lms.app", "lms", "worker", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def serve():
    """`serve(handler)` runs an SMTP server with that handler; returns its port."""
    controllers = []

    def start(handler) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


class TwoSenderSink:
    """Keeps the headers of what it receives (parsing whole messages would slow the
    server), but takes no message until two senders have connected, so that both
    workers are sure to share the queue however fast either starts."""

    def __init__(self):
        self.messages = []
        self.senders: set = set()
        self.both_here = asyncio.Event()  # made here; used only on the server's loop

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.senders.add(session.peer)
        if len(self.senders) >= 2:
            self.both_here.set()
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.wait_for(self.both_here.wait(), DEADLINE)
        self.messages.append(BytesHeaderParser(policy=policy.default).parsebytes(envelope.content))
        return "250 Message accepted for delivery"


def test_two_worker_processes_deliver_every_message_exactly_once(app, serve):
    db.session.execute(
        insert(OutboxMessage),
        [
            {
                "recipient": f"person{number}@example.nhs.uk",
                "subject": f"Message {number}",
                "body_text": f"Hello, person {number}.",
            }
            for number in range(MESSAGES)
        ],
    )
    db.session.commit()
    sink = TwoSenderSink()
    port = serve(sink)

    workers = [start_worker(app, port, "--until-empty", "--interval", "0.1") for _ in range(2)]
    outputs = [worker.communicate(timeout=DEADLINE)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    sent = [int(re.search(r"Sent (\d+) message", output)[1]) for output in outputs]
    assert sum(sent) == MESSAGES and min(sent) > 0, sent  # both shared the work
    subjects = Counter(message["Subject"] for message in sink.messages)
    assert subjects == Counter(f"Message {number}" for number in range(MESSAGES))
    assert len({message["Message-ID"] for message in sink.messages}) == MESSAGES
    for message in sink.messages[:: MESSAGES // 20]:
        number = message["Subject"].removeprefix("Message ")
        assert message["To"] == f"person{number}@example.nhs.uk"
    assert outbox.counts() == {"pending": 0, "sending": 0, "sent": MESSAGES, "failed": 0}


class StallingSink(MailSink):
    """Takes the message's data, then never answers: the worker is mid-send for ever."""

    def __init__(self):
        super().__init__()
        self.data_arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.data_arrived.set()
        await asyncio.Event().wait()  # cancelled when the server stops


def test_a_worker_killed_mid_send_leaves_the_message_for_after_its_lease(app, serve, smtp):
    message = outbox.queue("zoe.ashworth@example.nhs.uk", "Your place is confirmed", "Hello")
    db.session.commit()
    stalling = StallingSink()
    worker = start_worker(app, serve(stalling))
    try:
        assert stalling.data_arrived.wait(DEADLINE), "the worker never sent the message"
        db.session.refresh(message)
        assert message.status == "sending"  # the claim was committed before sending
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(DEADLINE)

    lease_ends = message.next_attempt_at
    assert outbox.deliver_due(now=lease_ends - outbox.CLAIM_LEASE) == 0  # nobody takes it yet
    assert outbox.deliver_due(now=lease_ends) == 1
    assert [email["To"] for email in smtp] == [message.recipient]
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("sent", 1)
    assert db.session.scalar(select(OutboxMessage.status)) == "sent"
