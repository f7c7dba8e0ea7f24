"""Mail transports: the log (embedded mode) and SMTP (production and the tests)."""

from __future__ import annotations

import base64
import logging
import re
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from lms.core.tokens import fill_placeholders

log = logging.getLogger("lms.mail")


def build_email(message, sender: str) -> EmailMessage:
    """Turns an OutboxMessage row into a MIME message, secret links and all.

    The row holds a placeholder where a password link's token goes (lms.core.tokens);
    the token is put in here, so the link exists only in the message that is sent.
    """
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = header_text(message.subject)
    # Named after the sender's domain, not this host's (which would also cost a DNS
    # lookup per message).
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    email.set_content(fill_placeholders(message.body_text, message.recipient))
    if message.body_html:
        email.add_alternative(
            fill_placeholders(message.body_html, message.recipient), subtype="html"
        )
    for attachment in message.attachments or []:
        maintype, _, subtype = attachment["content_type"].partition("/")
        email.add_attachment(
            base64.b64decode(attachment["data"]),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
        )
    return email


_UNSAFE_IN_A_HEADER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(value: str) -> str:
    """Text made safe for a mail header: one line, no control characters."""
    return " ".join(_UNSAFE_IN_A_HEADER.sub(" ", value).split())


class LogTransport:
    """Prints each message to the log instead of sending it (the embedded default).

    The whole plain-text body is printed, links included, so that on `make run` a
    person added or invited can read their link in the server's console. Production
    refuses this transport (the log would hold password links).
    """

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send(self, email: EmailMessage) -> None:
        log.info("%s", as_console_text(email))


def as_console_text(email: EmailMessage) -> str:
    """A message as a person reads it in a terminal: who to, subject, text, attachments."""
    body = email.get_body(("plain",))
    attachments = [part.get_filename() for part in email.iter_attachments()]
    lines = [
        "",
        f"{RULE} mail (not sent: MAIL_TRANSPORT=log) {RULE}",
        f"To: {email['To']}",
        f"Subject: {email['Subject']}",
    ]
    if attachments:
        lines.append("Attached: " + ", ".join(name or "(unnamed)" for name in attachments))
    lines += ["", (body.get_content() if body else "").rstrip(), RULE * 3]
    return "\n".join(lines)


RULE = "-" * 20


class SmtpTransport:
    """One SMTP connection for a batch of messages."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def __enter__(self):
        config = self.config
        self.connection = smtplib.SMTP(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
        )
        try:
            if config["MAIL_USE_TLS"]:
                self.connection.starttls()
            if config["MAIL_USERNAME"]:
                self.connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        except BaseException:
            self.connection.close()  # __exit__ is not called when __enter__ fails
            raise
        return self

    def __exit__(self, *exc):
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
        return False

    def send(self, email: EmailMessage) -> None:
        assert self.connection is not None, "use the transport as a context manager"
        self.connection.send_message(email)


def is_permanent(error: Exception) -> bool:
    """True when the mail server refused a message for good (a 5xx reply), so trying it
    again cannot help; 4xx replies (greylisting, a full mailbox, a busy server), lost
    connections and timeouts are temporary."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    # The server cannot take this message as written (an address it cannot carry).
    return isinstance(error, smtplib.SMTPNotSupportedError)


def transport_for(config):
    if config["MAIL_TRANSPORT"] == "smtp":
        return SmtpTransport(config)
    return LogTransport()
