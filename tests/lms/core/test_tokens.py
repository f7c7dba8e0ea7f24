"""Secret tokens derived from a reference and SECRET_KEY: lms/core/tokens.py."""

from __future__ import annotations

import pytest

from lms.core import tokens


def test_a_token_depends_on_purpose_reference_and_key(app):
    reference = tokens.new_reference()
    token = tokens.derive("reset", reference)
    assert token == tokens.derive("reset", reference)
    assert len(token) == 43 and "=" not in token
    assert token != tokens.derive("invitation", reference)
    assert token != tokens.derive("reset", tokens.new_reference())
    assert token != tokens.derive("reset", reference, key="another key")
    assert tokens.digest(token) != token and len(tokens.digest(token)) == 64


def test_placeholders_are_filled_with_their_tokens_for_their_recipient_only(app):
    reference = tokens.new_reference()
    mark = tokens.placeholder("reset", reference, "zoe@example.nhs.uk")
    text = f'Open https://lms.example/account/reset/{mark} within the hour.\n<a href="/{mark}">'
    filled = tokens.fill_placeholders(text, " Zoe@Example.nhs.uk ")
    token = tokens.derive("reset", reference)
    assert filled == text.replace(mark, token)
    assert "lmsref." not in filled
    assert tokens.fill_placeholders(text, "someone.else@example.nhs.uk") == text
    assert tokens.fill_placeholders(text, "zoe@example.nhs.uk", key="another key") == text
    assert tokens.fill_placeholders(None, "zoe@example.nhs.uk") is None
    assert tokens.fill_placeholders("no placeholder", "zoe@example.nhs.uk") == "no placeholder"


@pytest.mark.parametrize(("purpose", "reference"), [("Reset", "a" * 32), ("reset", "xyz")])
def test_malformed_purposes_and_references_are_refused(app, purpose, reference):
    with pytest.raises(ValueError):
        tokens.derive(purpose, reference)
    with pytest.raises(ValueError):
        tokens.placeholder(purpose, reference, "zoe@example.nhs.uk")
