"""lms/reports/impact.py: every rate, average and uplift of the impact view against a
small dataset computed by hand (the computations are in the comments).

The year is 2026/27: 1 April 2026 to 31 March 2027, UK time. British Summer Time has
begun by both ends (29 March 2026, 28 March 2027), so a UK day starts at 23:00 UTC the
evening before: 2026/27 runs from 2026-03-31 23:00 UTC to 2027-03-31 23:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from certificates import issue, revoke
from certificates.models import Certificate, RevocationReason
from courses.models import Cohort, EnrolmentStatus
from lms.core.extensions import db
from lms.impact.models import (
    ConfidenceRating,
    FollowUp,
    Phase,
    ProjectSince,
    QuestionKind,
    ReactionAnswer,
    ReactionQuestion,
    ReactionResponse,
)
from lms.people.models import ServiceGroup
from lms.projects.models import Answer, ProjectUpdate, Rag
from lms.projects.years import financial_year
from lms.reports.figures import Figure, shown
from lms.reports.filters import ReportFilters
from lms.reports.impact import impact_figures

YEAR = financial_year(2026)
NOW = datetime(2027, 5, 1, 12, tzinfo=UTC)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@dataclass
class ImpactWorld:
    people: dict  # learners by first name
    trainers: dict
    surgery: ServiceGroup
    workshop_id: int  # the LEAN course's category
    projects: dict


@pytest.fixture
def impact_world(make_user, make_course, make_cohort, make_enrolment, make_project):
    """The hand-checkable dataset. Learners:

    - Ann (Surgery): completed PM on 10 May 2026; leads P1 from 1 September 2026.
    - Ben (Surgery): completed PM at 23:30 on 31 March 2027, UK time (22:30 UTC): the
      last hour of 2026/27; leads P2 from 1 June 2028, more than 12 months later.
    - Cat: completed LEAN at 00:30 on 1 April 2027, UK time (23:30 UTC on the 31st): the
      first hour of 2027/28; leads P7 from 1 May 2027.
    - Dan: completed PM at 00:30 on 1 April 2026, UK time (23:30 UTC on 31 March): the
      first hour of 2026/27, and LEAN on 1 June 2026; leads P3 from 1 July 2026.
    - Eve: confirmed on LEAN, never completed.
    - Fay (Surgery): completed LEAN on 1 October 2026; leads P4, which began on
      1 January 2026, before her course.
    - Gil: no course; leads P6.
    Ann's and Dan's PM completions and Cat's LEAN one have certificates (so P1, P3 and
    P7 are "led by trained people"); no one else's does. A completion "went on to lead"
    only with a valid certificate (lms/reports/leading.py), so Dan's LEAN completion
    leads to nothing, though his PM one leads to P3.
    """
    surgery = ServiceGroup(name="Surgery")
    db.session.add(surgery)
    db.session.commit()
    in_surgery = {"service_group_id": surgery.id}
    people = {
        "Ann": make_user("ann.applegate@example.nhs.uk", full_name="Ann Applegate", **in_surgery),
        "Ben": make_user(
            "ben.barraclough@example.nhs.uk", full_name="Ben Barraclough", **in_surgery
        ),
        "Cat": make_user("cat.cartwright@example.nhs.uk", full_name="Cat Cartwright"),
        "Dan": make_user("dan.dunmore@example.nhs.uk", full_name="Dan Dunmore"),
        "Eve": make_user("eve.entwistle@example.nhs.uk", full_name="Eve Entwistle"),
        "Fay": make_user(
            "fay.fairweather@example.nhs.uk", full_name="Fay Fairweather", **in_surgery
        ),
        "Gil": make_user("gil.greenhalgh@example.nhs.uk", full_name="Gil Greenhalgh"),
    }
    trainers = {
        "Tomasz": make_user("tomasz@example.nhs.uk", full_name="Tomasz Nowak"),
        "Rita": make_user("rita@example.nhs.uk", full_name="Rita Hale"),
    }
    pm = make_course(code="PM", title="Project management", learning_outcomes=["a", "b", "c"])
    lean = make_course(code="LEAN", title="Lean basics", category="Workshop")

    def cohort(course, code, closed_at, trainer_names=()):
        return make_cohort(
            course,
            code=code,
            sessions=[],
            closed_at=closed_at,
            trainers=[trainers[name] for name in trainer_names],
        )

    pm_0 = cohort(pm, "PM-0", utc(2026, 3, 31, 23, 30), ["Rita"])  # 1 April 00:30 UK: in
    pm_a = cohort(pm, "PM-A", utc(2026, 5, 10, 12), ["Tomasz", "Rita"])
    pm_b = cohort(pm, "PM-B", utc(2027, 3, 31, 22, 30), ["Tomasz"])  # 31 March 23:30 UK: in
    lean_a = cohort(lean, "LEAN-A", utc(2027, 3, 31, 23, 30), ["Tomasz"])  # 1 April UK: out
    lean_b = cohort(lean, "LEAN-B", utc(2026, 10, 1, 12), ["Rita"])
    lean_c = cohort(lean, "LEAN-C", utc(2026, 6, 1, 12))

    def completed(cohort_, name, ended_at):
        return make_enrolment(
            cohort_, people[name], status=EnrolmentStatus.COMPLETED, ended_at=ended_at
        )

    ann = completed(pm_a, "Ann", utc(2026, 5, 10, 12))
    ben = completed(pm_b, "Ben", utc(2027, 3, 31, 22, 30))
    cat = completed(lean_a, "Cat", utc(2027, 3, 31, 23, 30))
    dan_pm = completed(pm_0, "Dan", utc(2026, 3, 31, 23, 30))
    completed(lean_c, "Dan", utc(2026, 6, 1, 12))
    eve = make_enrolment(lean_b, people["Eve"])
    fay = completed(lean_b, "Fay", utc(2026, 10, 1, 12))
    issue(ann, now=ann.ended_at)
    issue(dan_pm, now=dan_pm.ended_at)
    issue(cat, now=cat.ended_at)
    db.session.commit()

    projects = {
        "P1": make_project("P1", lead=people["Ann"], starts_on=date(2026, 9, 1), **in_surgery),
        "P2": make_project("P2", lead=people["Ben"], starts_on=date(2028, 6, 1)),
        "P3": make_project("P3", lead=people["Dan"], starts_on=date(2026, 7, 1)),
        "P4": make_project("P4", lead=people["Fay"], starts_on=date(2026, 1, 1), **in_surgery),
        "P5": make_project("P5", starts_on=date(2026, 5, 1)),
        "P6": make_project("P6", lead=people["Gil"], starts_on=date(2025, 5, 1)),
        "P7": make_project("P7", lead=people["Cat"], starts_on=date(2027, 5, 1)),
    }

    def update(project, day, rag, on_time, on_budget, benefits):
        db.session.add(
            ProjectUpdate(
                project_id=projects[project].id,
                reported_on=day,
                rag=rag,
                milestones_met=Answer.YES,
                on_time=on_time,
                on_budget=on_budget,
                benefits_realised=benefits,
            )
        )
        db.session.flush()

    yes, no, partly, early = Answer.YES, Answer.NO, Answer.PARTLY, Answer.TOO_EARLY
    update("P1", date(2026, 10, 1), Rag.RED, no, no, no)
    update("P1", date(2027, 3, 31), Rag.GREEN, yes, yes, early)  # the year's last day: latest
    update("P1", date(2027, 4, 1), Rag.AMBER, no, no, no)  # next year: ignored
    update("P3", date(2026, 8, 1), Rag.GREEN, yes, yes, yes)
    update("P3", date(2026, 12, 1), Rag.RED, no, no, no)  # the same day, written first
    update("P3", date(2026, 12, 1), Rag.AMBER, partly, no, partly)  # written last: latest
    update("P4", date(2026, 4, 1), Rag.RED, no, no, no)  # the year's first day
    update("P5", date(2026, 3, 31), Rag.AMBER, no, no, no)  # last year: ignored
    update("P5", date(2026, 6, 15), Rag.GREEN, yes, yes, yes)
    update("P6", date(2026, 3, 31), Rag.RED, no, no, no)  # P6: nothing in the year
    db.session.commit()

    def rate(enrolment, outcome, before=None, after=None):
        for phase, score in ((Phase.BEFORE, before), (Phase.AFTER, after)):
            if score is not None:
                db.session.add(
                    ConfidenceRating(
                        enrolment_id=enrolment.id,
                        phase=phase,
                        outcome_index=outcome,
                        outcome=f"Outcome {outcome}",
                        score=score,
                        rated_at=utc(2026, 1, 1),
                    )
                )

    rate(ann, 0, before=2, after=4)
    rate(ann, 1, before=3, after=4)
    rate(ann, 2, before=1)  # never rated after: left out
    rate(ben, 0, before=3, after=5)
    rate(dan_pm, 0, before=1, after=2)
    rate(cat, 0, before=1, after=5)  # completed in 2027/28: left out
    rate(fay, 0, before=2, after=3)
    rate(fay, 1, before=4, after=4)
    rate(fay, 2, before=1, after=2)
    rate(fay, 3, after=5)  # never rated before: left out

    scale_1 = ReactionQuestion(kind=QuestionKind.SCALE, text="The course met its aims")
    scale_2 = ReactionQuestion(kind=QuestionKind.SCALE, text="I would recommend it")
    words = ReactionQuestion(kind=QuestionKind.TEXT, text="Anything else?")
    db.session.add_all([scale_1, scale_2, words])
    db.session.flush()

    def respond(enrolment, first=None, second=None, text=None):
        response = ReactionResponse(enrolment_id=enrolment.id, submitted_at=utc(2026, 1, 1))
        for question, score in ((scale_1, first), (scale_2, second)):
            if score is not None:
                response.answers.append(ReactionAnswer(question_id=question.id, score=score))
        if text:
            response.answers.append(ReactionAnswer(question_id=words.id, text=text))
        db.session.add(response)

    respond(ann, 5, 4, text="Thanks, Ann Applegate")
    respond(dan_pm, 3)
    respond(ben, 4, 2)
    respond(cat, 1, 1)  # LEAN-A closed in 2027/28: left out
    respond(fay, 2, 3)
    respond(eve, text="Only words")  # no scale answer: not a response counted

    def follow_up(enrolment, months, answered_at, since, applied):
        db.session.add(
            FollowUp(
                enrolment_id=enrolment.id,
                months=months,
                due_on=date(2026, 1, 1),
                queued_at=utc(2026, 1, 1),
                answered_at=answered_at,
                project_since=since,
                applied=applied,
            )
        )

    follow_up(ann, 3, utc(2026, 8, 10, 9), ProjectSince.LED, "Used a RAID log on P1.")
    follow_up(ben, 3, utc(2027, 3, 31, 23, 30), ProjectSince.LED, "Next year's words")  # out
    follow_up(dan_pm, 6, utc(2026, 10, 1, 9), ProjectSince.WORKED_ON, "   ")  # blank: out
    follow_up(dan_pm, 3, utc(2026, 3, 31, 23, 30), None, "Ran a lessons-learned session.")
    follow_up(fay, 3, utc(2027, 1, 5, 9), ProjectSince.NEITHER, "A stakeholder map.")
    follow_up(eve, 3, None, None, "Never sent")  # not answered: out
    db.session.commit()
    return ImpactWorld(people, trainers, surgery, lean.category_id, projects)


def figures(year=YEAR, **filters) -> dict[str, Figure]:
    return {figure.key: figure for figure in impact_figures(ReportFilters(year, **filters), NOW)}


def test_the_share_who_went_on_to_lead_a_project(impact_world):
    # Trained in 2026/27: Ann, Ben (31 March 23:30 UK), Dan (1 April 00:30 UK; twice, counted
    # once) and Fay = 4; Cat (1 April 2027 UK) is next year's and Eve did not complete.
    # Leading within 12 months, with a valid certificate: Ann (P1, 4 months on) and Dan
    # (his certified PM completion; P3 3 months on) = 2; Ben's P2 begins 14 months on (and
    # he has no certificate), Fay's P4 began before her course. 2 / 4 = 50.0%.
    leading = figures()["leading"]
    assert leading.rows == (
        ("Trained in the year", 4, Decimal("100.0")),
        ("Went on to lead a project within 12 months", 2, Decimal("50.0")),
    )
    assert "Over the 4 people who completed a course in 2026/27" in leading.note


def test_the_share_follows_the_year_boundary(impact_world):
    # 2027/28: only Cat (1 April 2027, 00:30 UK; certified), who leads P7 from 1 May 2027
    # (its window opening 1 May 2026): 1 / 1.
    leading = figures(financial_year(2027))["leading"]
    assert leading.rows[1][1:] == (1, Decimal("100.0"))
    assert leading.rows[0][1] == 1


def test_a_revoked_certificate_removes_a_learner_from_the_leaders(impact_world, admin):
    ann = impact_world.people["Ann"]
    certificate = db.session.scalar(select(Certificate).where(Certificate.learner_id == ann.id))
    revoke(certificate, RevocationReason.ISSUED_IN_ERROR, "Issued in error", by=admin)
    db.session.commit()
    # Ann still completed PM in the year (trained: Ann, Ben, Dan, Fay = 4), but her
    # completion no longer stands: leading Dan only = 1 / 4 = 25.0%.
    leading = figures()["leading"]
    assert leading.rows == (
        ("Trained in the year", 4, Decimal("100.0")),
        ("Went on to lead a project within 12 months", 1, Decimal("25.0")),
    )


def test_the_share_narrowed_by_programme_and_service_group(impact_world):
    # Workshop (LEAN): Dan (1 June 2026) and Fay = 2; leading: nobody. Dan leads P3 a
    # month after his LEAN completion, but it has no certificate (his certified PM
    # completion is not on a Workshop course); Fay's P4 began before her course. 0 / 2.
    workshop = figures(category_id=impact_world.workshop_id)["leading"]
    assert [row[1:] for row in workshop.rows] == [(2, Decimal("100.0")), (0, Decimal("0.0"))]
    # Surgery: Ann, Ben, Fay = 3; leading: Ann = 1; 1 / 3 = 33.3%.
    surgery = figures(service_group_id=impact_world.surgery.id)["leading"]
    assert [row[1:] for row in surgery.rows] == [(3, Decimal("100.0")), (1, Decimal("33.3"))]
    assert "in the chosen service group" in surgery.note


def test_project_outcomes_by_who_leads_them(impact_world):
    # Reported on in 2026/27, by their latest update in the year:
    # led by trained people: P1 (31 March 2027: green, yes, yes, too early) and P3 (two on
    # 1 December, the later written: amber, partly, no, partly) = 2;
    # led by others: P4 (1 April 2026: red, no, no, no; Fay trained after it began) and P5
    # (no lead; 15 June: green, yes, yes, yes) = 2. P6's only update is last year's.
    outcomes = figures()["project-outcomes"]
    rows = {row[0]: row[1:] for row in outcomes.rows}
    half, none = Decimal("50.0"), Decimal("0.0")
    assert rows["Projects reported on"] == (2, None, 2, None)
    assert rows["RAG status: Green"] == (1, half, 1, half)
    assert rows["RAG status: Amber"] == (1, half, 0, none)
    assert rows["RAG status: Red"] == (0, none, 1, half)
    assert rows["On time: Yes"] == (1, half, 1, half)
    assert rows["On time: Partly"] == (1, half, 0, none)
    assert rows["On time: No"] == (0, none, 1, half)
    assert rows["On budget: Yes"] == (1, half, 1, half)
    assert rows["On budget: No"] == (1, half, 1, half)
    assert rows["Benefits realised: Yes"] == (0, none, 1, half)
    assert rows["Benefits realised: Partly"] == (1, half, 0, none)
    assert rows["Benefits realised: No"] == (0, none, 1, half)
    assert rows["Benefits realised: Too early to say"] == (1, half, 0, none)
    assert outcomes.notes == (
        "Too few projects to compare: 2 led by trained people, 2 by others. "
        "Read these figures as examples, not evidence.",
    )
    assert "2 led by trained people and 2 led by others" in outcomes.note


def test_project_outcomes_narrowed_by_service_group(impact_world):
    # Surgery's projects: P1 (trained lead, green) and P4 (other, red).
    outcomes = figures(service_group_id=impact_world.surgery.id)["project-outcomes"]
    rows = {row[0]: row[1:] for row in outcomes.rows}
    assert rows["Projects reported on"] == (1, None, 1, None)
    assert rows["RAG status: Green"] == (1, Decimal("100.0"), 0, Decimal("0.0"))
    assert rows["RAG status: Red"] == (0, Decimal("0.0"), 1, Decimal("100.0"))
    programme = figures(category_id=impact_world.workshop_id)["project-outcomes"]
    assert "programme filter does not apply" in programme.note


def test_no_warning_when_both_groups_are_big_enough(impact_world, make_project):
    ann = impact_world.people["Ann"]
    for number in range(3):  # trained: P1, P3 and three more of Ann's = 5
        led = make_project(f"Ann {number}", lead=ann, starts_on=date(2026, 9, 1))
        other = make_project(f"Other {number}", starts_on=date(2026, 9, 1))  # others: 2 + 3
        for project in (led, other):
            db.session.add(
                ProjectUpdate(
                    project_id=project.id,
                    reported_on=date(2026, 11, 1),
                    rag=Rag.GREEN,
                    milestones_met=Answer.YES,
                    on_time=Answer.YES,
                    on_budget=Answer.YES,
                    benefits_realised=Answer.YES,
                )
            )
    db.session.commit()
    outcomes = figures()["project-outcomes"]
    assert outcomes.rows[0] == ("Projects reported on", 5, None, 5, None)
    # green: trained P1 + 3 = 4 of 5 = 80.0%; others P5 + 3 = 4 of 5 = 80.0%
    assert outcomes.rows[1] == ("RAG status: Green", 4, Decimal("80.0"), 4, Decimal("80.0"))
    assert outcomes.notes == ()


def test_confidence_uplift_per_course(impact_world):
    # PM, pairs rated both: Ann (2→4, 3→4; outcome 2 had no after), Ben (3→5), Dan (1→2):
    # before (2+3+3+1)/4 = 2.25, after (4+4+5+2)/4 = 3.75, uplift 1.50, 3 learners.
    # LEAN: Fay (2→3, 4→4, 1→2; outcome 3 had no before); Cat's is next year's:
    # before 7/3 = 2.33, after 9/3 = 3.00, uplift 2/3 = 0.67, 1 learner.
    # The courses with the most learners first: PM (3), then LEAN (1).
    uplift = figures()["confidence"]
    assert uplift.rows == (
        ("PM Project management", 3, Decimal("2.25"), Decimal("3.75"), Decimal("1.50")),
        ("LEAN Lean basics", 1, Decimal("2.33"), Decimal("3.00"), Decimal("0.67")),
    )
    # Surgery: Ann and Ben on PM (2→4, 3→4, 3→5: before 8/3 = 2.67, after 13/3 = 4.33,
    # uplift 5/3 = 1.67), first with 2 learners; Fay on LEAN as above, second with 1.
    surgery = figures(service_group_id=impact_world.surgery.id)["confidence"]
    assert surgery.rows[0] == (
        "PM Project management",
        2,
        Decimal("2.67"),
        Decimal("4.33"),
        Decimal("1.67"),
    )


def test_reaction_scores_per_course(impact_world):
    # Cohorts closed in 2026/27: PM-0 (1 April 00:30 UK), PM-A, PM-B (31 March 23:30 UK),
    # LEAN-B; LEAN-A closed on 1 April 2027 UK: out.
    # PM: Ann 5, 4; Dan 3; Ben 4, 2 = 18 / 5 = 3.60 over 3 responses.
    # LEAN: Fay 2, 3 over 1 response (Eve answered in words only): fewer than 3
    # responses, so the count but no average. The most responses first: PM, then LEAN.
    by_course = figures()["reaction-courses"]
    assert by_course.rows == (
        ("PM Project management", 3, Decimal("3.60")),
        ("LEAN Lean basics", 1, None),
    )
    assert "A course with fewer than 3 responses shows the count but no average" in by_course.note
    workshop = figures(category_id=impact_world.workshop_id)["reaction-courses"]
    assert workshop.rows == (("LEAN Lean basics", 1, None),)


def test_a_course_shows_no_average_below_3_responses(impact_world, make_enrolment):
    lean_b = db.session.scalar(select(Cohort).where(Cohort.code == "LEAN-B"))  # closed 1 Oct
    first, second = db.session.scalars(
        select(ReactionQuestion.id)
        .where(ReactionQuestion.kind == QuestionKind.SCALE)
        .order_by(ReactionQuestion.id)
    ).all()

    def respond(*scores):
        enrolment = make_enrolment(lean_b, status=EnrolmentStatus.COMPLETED)
        response = ReactionResponse(enrolment_id=enrolment.id, submitted_at=utc(2026, 10, 2))
        for question, score in zip((first, second), scores, strict=False):
            response.answers.append(ReactionAnswer(question_id=question, score=score))
        db.session.add(response)
        db.session.commit()

    def lean():
        rows = {row[0]: row[1:] for row in figures()["reaction-courses"].rows}
        return rows["LEAN Lean basics"]

    respond(4, 4)
    # LEAN: Fay 2, 3 and the new learner 4, 4 = 2 responses: still no average.
    assert lean() == (2, None)
    respond(1)
    # A third response: (2 + 3 + 4 + 4 + 1) / 5 answers = 14 / 5 = 2.80 over 3 responses.
    assert lean() == (3, Decimal("2.80"))


def test_reaction_scores_per_trainer_hide_small_counts(impact_world):
    # Rita (PM-0, PM-A, LEAN-B): Ann 5, 4; Dan 3; Fay 2, 3 = 17 / 5 = 3.40 over 3.
    # Tomasz (PM-A, PM-B; LEAN-A is next year's): Ann and Ben, 2 responses: no average.
    by_trainer = figures()["reaction-trainers"]
    assert by_trainer.rows == (
        ("Rita Hale", 3, Decimal("3.40")),
        ("Tomasz Nowak", 2, None),
    )
    assert "fewer than 3 responses shows the count but no average" in by_trainer.note


def test_what_follow_up_respondents_applied(impact_world):
    # Answered in 2026/27 with words: Fay (5 January 2027), Ann (10 August 2026), Dan
    # (1 April 2026 00:30 UK), newest first; Ben's (1 April 2027 UK), Dan's blank 6-month
    # answer and Eve's unanswered one are left out.
    applied = figures()["applied"]
    assert applied.rows == (
        ("LEAN Lean basics", 3, "No, not yet", "A stakeholder map."),
        ("PM Project management", 3, "Yes, I have led a project", "Used a RAID log on P1."),
        ("PM Project management", 3, "Not answered", "Ran a lessons-learned session."),
    )
    assert "all 3 are listed" in applied.note
    assert applied.chart is None


def test_fewer_than_3_follow_up_answers_are_not_listed(impact_world):
    # Surgery: Ann (10 August 2026) and Fay (5 January 2027) = 2 answers in the year
    # (Ben's is 2027/28's): fewer than 3, so none is listed, and the note says why.
    applied = figures(service_group_id=impact_world.surgery.id)["applied"]
    assert applied.rows == ()
    assert "2, fewer than 3, so none are listed" in applied.note
    assert "Used a RAID log" not in applied.note


def test_what_was_applied_lists_the_newest_50_and_counts_all(
    app, make_course, make_cohort, make_enrolment
):
    course = make_course(code="PM", title="Project management")
    cohort = make_cohort(course, sessions=[])
    for number in range(26):
        enrolment = make_enrolment(cohort, status=EnrolmentStatus.COMPLETED)
        for months in (3, 6):
            db.session.add(
                FollowUp(
                    enrolment_id=enrolment.id,
                    months=months,
                    due_on=date(2026, 1, 1),
                    queued_at=utc(2026, 1, 1),
                    answered_at=utc(2026, 6, 1 + number, months),
                    applied=f"Applied {number}-{months}",
                )
            )
    db.session.commit()
    applied = figures()["applied"]
    assert len(applied.rows) == 50
    assert applied.rows[0][3] == "Applied 25-6"  # 26 June, 06:00: the newest
    assert "the newest 50 of 52 are listed" in applied.note


def test_no_figure_names_a_learner(impact_world):
    learners = [person for name, person in impact_world.people.items()]
    for filters in ({}, {"service_group_id": impact_world.surgery.id}):
        for figure in figures(**filters).values():
            text = " ".join(
                [figure.title, figure.note, *figure.notes, *figure.columns]
                + [shown(cell) for row in figure.rows for cell in row]
            )
            for person in learners:
                assert person.full_name not in text, figure.key
                assert person.email not in text, figure.key


def test_an_empty_year_has_no_rates(app):
    found = figures()
    assert found["leading"].rows == (
        ("Trained in the year", 0, None),
        ("Went on to lead a project within 12 months", 0, None),
    )
    assert found["project-outcomes"].rows[0] == ("Projects reported on", 0, None, 0, None)
    assert found["confidence"].is_empty and found["reaction-courses"].is_empty
    assert found["applied"].rows == ()
