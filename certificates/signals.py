"""How `certificates` tells the areas above it what happened to a certificate, without
knowing them (the CPD record hears of every certificate issued).

Sent after the transaction that made the change has committed, with the certificate as
the sender (`courses.signals.send_after_commit`: receivers run one by one, each commits
its own work, and one that fails does not stop the others):

- `certificate_issued(certificate)`: a certificate was issued: for a completion, for a
  new completion after one was withdrawn, or by a re-issue (then `replaces` is the
  certificate it supersedes; otherwise None).
- `certificate_revoked(certificate)`: a certificate was revoked.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

certificate_issued = _signals.signal("certificate-issued")
certificate_revoked = _signals.signal("certificate-revoked")
