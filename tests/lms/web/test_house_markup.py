"""Our own macros for NHS.UK markup (lms/web/templates/macros/) against the design system.

Fields, status tags, buttons, summary lists, back, inset and action links, and the pager
write the NHS.UK frontend's markup out rather than calling the nhsuk-frontend-jinja
component macros, which cost ten to a hundred times as much. Each case here renders ours
and the component with the same inputs and expects the same elements, attributes and
text (whitespace between tags aside), so a change in the design system's markup shows up
here. The page frame (macros/chrome.html) goes through the components but is rendered
once and reused: the tests at the end check that it stays personal.
"""

from __future__ import annotations

import re

import pytest
import wtforms
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from courses.models import AttendanceStatus, CohortStatus, EnrolmentStatus
from lms.auth.models import Role
from tests.helpers import PASSWORD, log_in

TRICKY = 'Zoë "Z" <b>O\'Neill</b> & co'


def normal(html) -> str:
    """The markup with whitespace runs made one space and none kept between tags."""
    html = re.sub(r"\s+", " ", str(html))
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html).strip()


def choices(*pairs):
    return [SelectChoice(value, label) for value, label in pairs]


class Fields(wtforms.Form):
    name = wtforms.StringField("Full name", description="As on your badge")
    secret = wtforms.PasswordField("Password")
    hours = wtforms.StringField("CPD hours")
    colour = wtforms.SelectField(
        "Colour", choices=choices(("", "Any colour"), ("red", "Red <b>"), ("blue", "Blue & green"))
    )
    tags = wtforms.SelectMultipleField(
        "Tags", choices=choices(("a", "A"), ("b", "B & c"), ("c", "C")), description="Pick any"
    )
    mode = wtforms.RadioField(
        "How is it delivered?",
        choices=choices(("in_person", "In person"), ("online", "Online"), ("blended", "Blended")),
    )
    agree = wtforms.BooleanField("I agree to the <terms>")
    notes = wtforms.TextAreaField("Notes (optional)", description="Anything else")


@pytest.fixture
def render(app):
    """render(source, **context): a template string rendered as a page would render it."""
    with app.test_request_context("/admin/audit/?actor=x&page=2"):

        def do(source: str, **context) -> str:
            return app.jinja_env.from_string(source).render(**context)

        yield do


@pytest.fixture
def form():
    return Fields(
        data={
            "name": TRICKY,
            "secret": "hunter2-hunter2",
            "hours": "3.5",
            "colour": "red",
            "tags": ["b", "c"],
            "mode": "online",
            "agree": True,
            "notes": "Line one <x>\nLine two & more",
        }
    )


def with_errors(form, *names):
    for name in names:
        form[name].errors = ["Enter it <properly>", "Or else"]
    return form


OURS_FIELDS = (
    '{% from "macros/forms.html" import text_field, select_field, checkbox_field %}'
    '{% from "macros/fields.html" import textarea_field, number_field, radios_field, '
    "boolean_field %}"
)
THEIRS_FIELDS = "".join(
    f'{{% from "nhsuk/components/{name}/macro.jinja" import {macro} %}}'
    for name, macro in [
        ("input", "input"),
        ("select", "select"),
        ("checkboxes", "checkboxes"),
        ("radios", "radios"),
        ("textarea", "textarea"),
    ]
)
ERROR = '"errorMessage": {"text": f.errors | join(". ")} if f.errors else undefined'

FIELD_CASES = {
    "text": (
        "text_field(f)",
        '{"label": {"text": f.label.text}, "hint": {"text": f.description} if f.description '
        'else undefined, "id": f.id, "name": f.name, "type": "text", "value": f._value(), '
        + ERROR
        + "}",
    ),
    "text with every option": (
        'text_field(f, type="email", autocomplete="off", classes="nhsuk-input--width-10", '
        'hint="Another hint", spellcheck=false)',
        '{"label": {"text": f.label.text}, "hint": {"text": "Another hint"}, "id": f.id, '
        '"name": f.name, "type": "email", "value": f._value(), "autocomplete": "off", '
        '"spellcheck": false, "classes": "nhsuk-input--width-10", ' + ERROR + "}",
    ),
    "text, spellcheck on": (
        "text_field(f, spellcheck=true)",
        '{"label": {"text": f.label.text}, "hint": {"text": f.description} if f.description '
        'else undefined, "id": f.id, "name": f.name, "value": f._value(), "spellcheck": true, '
        + ERROR
        + "}",
    ),
    "text in a table row": (
        'text_field(f, label_classes="nhsuk-u-visually-hidden", '
        'form_group_classes="nhsuk-u-margin-bottom-0")',
        '{"label": {"text": f.label.text, "classes": "nhsuk-u-visually-hidden"}, '
        '"hint": {"text": f.description} if f.description else undefined, "id": f.id, '
        '"name": f.name, "value": f._value(), '
        '"formGroup": {"classes": "nhsuk-u-margin-bottom-0"}, ' + ERROR + "}",
    ),
    "number with a suffix": (
        'number_field(f, suffix="hours", classes="nhsuk-input--width-3", inputmode="numeric")',
        '{"label": {"text": f.label.text}, "hint": {"text": f.description} if f.description '
        'else undefined, "id": f.id, "name": f.name, "value": f._value(), '
        '"inputmode": "numeric", "spellcheck": false, "suffix": "hours", '
        '"classes": "nhsuk-input--width-3", ' + ERROR + "}",
    ),
    "select": (
        "select_field(f)",
        '{"id": f.id, "name": f.name, "label": {"text": f.label.text}, "hint": {"text": '
        'f.description} if f.description else undefined, "items": items, ' + ERROR + "}",
    ),
    "textarea": (
        "textarea_field(f, rows=3)",
        '{"label": {"text": f.label.text}, "hint": {"text": f.description} if f.description '
        'else undefined, "id": f.id, "name": f.name, "rows": 3, "value": f._value(), '
        + ERROR
        + "}",
    ),
    "checkboxes": (
        "checkbox_field(f)",
        '{"idPrefix": f.id, "name": f.name, "fieldset": {"legend": {"text": f.label.text, '
        '"size": "s"}}, "hint": {"text": f.description} if f.description else undefined, '
        '"items": items, ' + ERROR + "}",
    ),
    "radios": (
        "radios_field(f)",
        '{"idPrefix": f.id, "name": f.name, "fieldset": {"legend": {"text": f.label.text, '
        '"size": "s"}}, "hint": {"text": f.description} if f.description else undefined, '
        '"items": items, ' + ERROR + "}",
    ),
    "radios in a table row": (
        "radios_field(f, small=true, inline=true, legend_size=none, legend_classes="
        '"nhsuk-u-visually-hidden", form_group_classes="nhsuk-u-margin-bottom-0")',
        '{"idPrefix": f.id, "name": f.name, "small": true, "inline": true, "fieldset": '
        '{"legend": {"text": f.label.text, "classes": "nhsuk-u-visually-hidden"}}, '
        '"formGroup": {"classes": "nhsuk-u-margin-bottom-0"}, "items": items, ' + ERROR + "}",
    ),
}
COMPONENT = {
    "text": "input",
    "text with every option": "input",
    "text, spellcheck on": "input",
    "text in a table row": "input",
    "number with a suffix": "input",
    "select": "select",
    "textarea": "textarea",
    "checkboxes": "checkboxes",
    "radios": "radios",
    "radios in a table row": "radios",
}
FIELD_OF = {
    "select": "colour",
    "textarea": "notes",
    "checkboxes": "tags",
    "radios": "mode",
    "radios in a table row": "mode",
    "number with a suffix": "hours",
}
ITEMS = (
    "{% set items = [] %}{% for c in (f.iter_choices() if f.choices is defined else []) %}"
    "{% set _ = items.append("
    '{"value": c.value, "text": c.label, "checked": c.selected, "selected": c.selected})'
    " %}{% endfor %}"
)


@pytest.mark.parametrize("errors", [False, True], ids=["valid", "with errors"])
@pytest.mark.parametrize("case", FIELD_CASES)
def test_each_field_is_the_components_markup(render, form, case, errors):
    field = form[FIELD_OF.get(case, "name")]
    if errors:
        with_errors(form, field.name)
    ours_call, params = FIELD_CASES[case]
    ours = render(OURS_FIELDS + "{{ " + ours_call + " }}", f=field)
    theirs = render(
        THEIRS_FIELDS + ITEMS + "{{ " + COMPONENT[case] + "(" + params + ") }}", f=field
    )
    assert normal(ours) == normal(theirs)
    assert "<b>" not in ours  # what people typed is escaped


def test_a_password_is_never_shown_again(render, form):
    page = render(OURS_FIELDS + '{{ text_field(f, type="password") }}', f=form.secret)
    assert 'value=""' in page and "hunter2" not in page


@pytest.mark.parametrize("hint", ["", "Each new person is emailed <a link>"])
@pytest.mark.parametrize("checked", [True, False])
@pytest.mark.parametrize("errors", [False, True], ids=["valid", "with errors"])
def test_a_single_checkbox_is_the_components_markup(render, form, checked, errors, hint):
    field = form.agree
    field.data, field.description = checked, hint
    if errors:
        with_errors(form, "agree")
    ours = render(OURS_FIELDS + "{{ boolean_field(f) }}", f=field)
    theirs = render(
        THEIRS_FIELDS + '{{ checkboxes({"idPrefix": f.id, "name": f.name, "items": [{"value": '
        '"y", "text": f.label.text, "checked": f.data, "hint": {"text": f.description} if '
        "f.description else undefined}], " + ERROR + "}) }}",
        f=field,
    )
    assert normal(ours) == normal(theirs)


def test_radios_can_show_some_choices_a_legend_and_other_errors(render, form):
    field = form.mode
    choices = [c for c in field.iter_choices() if c.value != "blended"]
    ours = render(
        OURS_FIELDS + '{{ radios_field(f, inline=true, legend="Choose <one>", '
        'choices=choices, errors=["Form-wide refusal"]) }}',
        f=field,
        choices=choices,
    )
    theirs = render(
        THEIRS_FIELDS + '{{ radios({"idPrefix": f.id, "name": f.name, "classes": '
        '"nhsuk-radios--inline", "fieldset": {"legend": {"text": "Choose <one>", "size": "s"}}, '
        '"items": [{"value": "in_person", "text": "In person", "checked": false}, {"value": '
        '"online", "text": "Online", "checked": true}], "errorMessage": {"text": '
        '"Form-wide refusal"}}) }}',
        f=field,
    )
    assert normal(ours) == normal(theirs)


# --- status tags -------------------------------------------------------------------------

STATUS_CASES = [
    *[("cohort_status(s)", s, s.value.capitalize(), "cohort", s.value) for s in CohortStatus],
    *[
        ("enrolment_status(s, 3)", s, f"{s.label} (position 3)", "enrolment", s.value)
        for s in EnrolmentStatus
    ],
    *[("attendance_status(s)", s, s.label, "attendance", s.value) for s in AttendanceStatus],
    ("not_marked()", None, "Not marked", "attendance", "not_marked"),
]


@pytest.mark.parametrize(("call", "status", "text", "kind", "key"), STATUS_CASES)
def test_each_status_tag_is_the_components_markup(render, call, status, text, kind, key):
    imports = (
        '{% from "macros/status.html" import colours, cohort_status, enrolment_status, '
        'attendance_status, not_marked %}{% from "nhsuk/components/tag/macro.jinja" import tag %}'
    )
    ours = render(imports + "{{ " + call + " }}", s=status)
    theirs = render(imports + '{{ tag({"text": text, "colour": colours[kind][key]}) }}', **locals())
    assert normal(ours) == normal(theirs)


# --- components ----------------------------------------------------------------------------

HOUSE = (
    '{% from "macros/components.html" import button, summary_list, back_link, inset_text, '
    "action_link, fieldset %}"
)
NHSUK = "".join(
    f'{{% from "nhsuk/components/{name}/macro.jinja" import {macro} %}}'
    for name, macro in [
        ("button", "button"),
        ("summary-list", "summaryList"),
        ("back-link", "backLink"),
        ("inset-text", "insetText"),
        ("action-link", "actionLink"),
        ("fieldset", "fieldset"),
    ]
)
PARAMS = {
    "plain button": ("button", '{"text": text}'),
    "secondary button": ("button", '{"text": text, "classes": "nhsuk-button--secondary"}'),
    "button with no classes": ("button", '{"text": text, "classes": ""}'),
    "button with a label": (
        "button",
        '{"text": "Cancel", "classes": "nhsuk-button--secondary nhsuk-button--small", '
        '"attributes": {"aria-label": "Cancel " ~ text}}',
    ),
    "link button": ("button", '{"text": text, "href": "/a?b=1&c=2"}'),
    "summary list": (
        "summary_list",
        '{"rows": [{"key": {"text": "Name"}, "value": {"text": text}}, none, '
        '{"key": {"text": "Status"}, "value": {"html": "<strong>Open</strong>" | safe}}, '
        '{"key": {"text": "Empty"}, "value": {"text": ""}}]}',
    ),
    "back link": ("back_link", '{"href": "/courses/?q=a&b", "text": text}'),
    "inset text": ("inset_text", '{"text": text}'),
    "inset html": ("inset_text", '{"html": "<p>A <a href=\\"/x\\">link</a></p>" | safe}'),
    "inset with an id": ("inset_text", '{"id": "here", "text": text}'),
    "action link": ("action_link", '{"text": text, "href": "/admin/users/new"}'),
}
NHSUK_NAME = {
    "button": "button",
    "summary_list": "summaryList",
    "back_link": "backLink",
    "inset_text": "insetText",
    "action_link": "actionLink",
}


@pytest.mark.parametrize("case", PARAMS)
def test_each_component_is_the_design_systems_markup(render, case):
    macro, params = PARAMS[case]
    ours = render(HOUSE + "{{ " + macro + "(" + params + ") }}", text=TRICKY)
    theirs = render(NHSUK + "{{ " + NHSUK_NAME[macro] + "(" + params + ") }}", text=TRICKY)
    assert normal(ours) == normal(theirs)
    assert "<b>" not in ours


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ('inset_text({"id": "x"})', 'insetText({"id": "x"})'),
        (
            'fieldset({"legend": {"text": text, "size": "s"}, "describedBy": "x-hint"})',
            'fieldset({"legend": {"text": text, "size": "s"}, "describedBy": "x-hint"})',
        ),
        ('fieldset({"legend": {"text": text}})', 'fieldset({"legend": {"text": text}})'),
    ],
    ids=["inset text", "fieldset", "plain fieldset"],
)
def test_components_around_the_callers_content(render, ours, theirs):
    body = '<p>{{ text }}</p><div class="nhsuk-hint" id="x-hint">Hint</div>'
    call = "{% call " + ours + " %}" + body + "{% endcall %}"
    rendered = render(HOUSE + call, text=TRICKY)
    expected = render(NHSUK + "{% call " + theirs + " %}" + body + "{% endcall %}", text=TRICKY)
    assert normal(rendered) == normal(expected)


class Page:
    """Enough of a Flask-SQLAlchemy page for the pager."""

    def __init__(self, page: int, numbers: list[int | None], pages: int = 8):
        self.page, self.pages, self.numbers = page, pages, numbers
        self.has_prev, self.has_next = page > 1, page < pages
        self.prev_num, self.next_num = page - 1, page + 1
        self.first, self.last, self.total, self.more = 26, 50, 200, False

    def iter_pages(self, **_):
        return iter(self.numbers)


OLD_PAGER = """{% from "nhsuk/components/pagination/macro.jinja" import pagination %}
{% set args = {} %}
{% for key, value in request.args.items() %}{% set _ = args.update({key: value}) %}{% endfor %}
{% set items = [] %}
{% for number in page.iter_pages() %}
  {% if number %}
    {% set _ = args.update({"page": number}) %}
    {% set _ = items.append({"number": number, "href": url_for("audit.index", **args),
      "current": number == page.page}) %}
  {% else %}
    {% set _ = items.append({"ellipsis": true}) %}
  {% endif %}
{% endfor %}
{% set _ = args.update({"page": page.prev_num}) %}
{% set previous_href = url_for("audit.index", **args) if page.has_prev else undefined %}
{% set _ = args.update({"page": page.next_num}) %}
{% set next_href = url_for("audit.index", **args) if page.has_next else undefined %}
{{ pagination({"previous": {"href": previous_href} if previous_href else undefined,
  "next": {"href": next_href} if next_href else undefined, "items": items}) }}
<p class="nhsuk-body-s">Showing {{ page.first }} to {{ page.last }} of {{ page.total }}</p>
"""


@pytest.mark.parametrize(
    "page",
    [Page(1, [1, 2, 3, None, 8]), Page(2, [1, 2, 3, 4, None, 8]), Page(8, [1, None, 6, 7, 8])],
    ids=["first", "middle", "last"],
)
def test_the_pager_is_the_pagination_components_markup(render, page):
    ours = render(
        '{% from "macros/pagination.html" import pager %}{{ pager(page, "audit.index") }}',
        page=page,
    )
    assert normal(ours) == normal(render(OLD_PAGER, page=page))
    assert "actor=x" in ours  # the filters stay


# --- the page frame ------------------------------------------------------------------------


def header_of(page: str) -> str:
    return page.split("<header", 1)[1].split("</header>", 1)[0]


def test_the_header_is_shared_but_names_each_person(app, make_user):
    first = make_user(full_name="Amara Okafor", roles=[Role.TRAINER])
    second = make_user(full_name=TRICKY, roles=[Role.TRAINER])
    headers = []
    for person in (first, second):
        client = app.test_client()
        log_in(client, person.email, PASSWORD)
        headers.append(header_of(client.get("/courses/").get_data(as_text=True)))
    assert "Amara Okafor" in headers[0] and "Amara Okafor" not in headers[1]
    assert "Zoë &#34;Z&#34; &lt;b&gt;O&#39;Neill&lt;/b&gt; &amp; co" in headers[1]
    assert "\x00" not in headers[0] + headers[1]
    token = re.compile(r'name="csrf_token" value="[^"]*"')
    shared = [token.sub("", header.replace("Amara Okafor", "NAME")) for header in headers]
    assert shared[0] == shared[1].replace(
        "Zoë &#34;Z&#34; &lt;b&gt;O&#39;Neill&lt;/b&gt; &amp; co", "NAME"
    )


def test_the_header_marks_the_section_each_time(client, as_learner):
    for path in ("/courses/", "/check-in"):
        header = header_of(client.get(path).get_data(as_text=True))
        current = re.findall(r'href="([^"]+)"[^>]*aria-current="page"', header)
        assert current == [path]


def test_the_logout_button_in_a_reused_header_carries_this_sessions_token(make_app, learner):
    app = make_app(WTF_CSRF_ENABLED=True)
    for _ in range(2):  # the second login is served a header rendered for the first
        browser = app.test_client()
        page = browser.get("/login").get_data(as_text=True)
        login_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        browser.post(
            "/login",
            data={"email": learner.email, "password": PASSWORD, "csrf_token": login_token[1]},
        )
        header = header_of(browser.get("/").get_data(as_text=True))
        token = re.search(r'name="csrf_token" value="([^"]+)"', header)[1]
        assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
        assert browser.get("/").status_code == 302  # logged out


def test_each_page_keeps_its_own_nonce_under_a_reused_frame(client, as_learner):
    pages = [client.get("/courses/") for _ in range(2)]
    nonces = [
        response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        for response in pages
    ]
    assert nonces[0] != nonces[1]
    for response, nonce in zip(pages, nonces, strict=True):
        assert f'nonce="{nonce}"' in response.get_data(as_text=True)


def test_templates_change_under_the_development_server(make_app, learner):
    """With auto-reload on (flask run --debug) the frame is rendered afresh each time."""
    app = make_app()
    app.jinja_env.auto_reload = True
    chrome = app.extensions["lms.chrome"]
    with app.test_request_context():
        chrome.render("skip_link")
        chrome.render("skip_link")
    assert chrome._render.cache_info().currsize == 0
    app.jinja_env.auto_reload = False
    with app.test_request_context():
        chrome.render("skip_link")
        again = chrome.render("skip_link")
    assert chrome._render.cache_info().hits == 1
    assert isinstance(again, Markup) and "maincontent" in again


def test_templates_are_compiled_once_outside_development(make_app):
    """Outside debug nothing checks template files for changes, and every template the
    app can load fits in Jinja's cache, so none is compiled twice."""
    app = make_app()
    assert app.jinja_env.auto_reload is False
    assert len(app.jinja_env.list_templates()) < app.jinja_env.cache.capacity
