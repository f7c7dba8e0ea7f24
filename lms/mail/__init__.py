"""Mail delivery as admins and operators see it: what is queued, what failed, and
sending failed mail again. The outbox itself is lms.core.outbox."""

from lms.mail.delivery import MailSummary, NotFailed, requeue_failed, summary

__all__ = ["MailSummary", "NotFailed", "requeue_failed", "summary"]
