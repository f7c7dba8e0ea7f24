"""A project update, and closing a project with its final outcome."""

from __future__ import annotations

from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice

from lms.projects.models import Answer, ProjectStatus, Rag
from lms.projects.updates import YES_NO_PARTLY, UpdateDetails
from lms.web.forms import Form, optional_date


def _answers(answers) -> list[SelectChoice]:
    return [SelectChoice(answer.value, answer.label) for answer in answers]


class UpdateForm(Form):
    reported_on = optional_date("Date of the update", "of the update")
    rag = SelectField(
        "Overall status (RAG)",
        choices=[SelectChoice(rag.value, rag.label) for rag in Rag],
        invalid_choice_message="Choose red, amber or green",
    )
    milestones_met = SelectField(
        "Have the milestones due so far been met?",
        choices=_answers(YES_NO_PARTLY),
        invalid_choice_message="Choose yes, no or partly",
    )
    on_time = SelectField(
        "Is it on time?",
        choices=_answers(YES_NO_PARTLY),
        invalid_choice_message="Choose yes, no or partly",
    )
    on_budget = SelectField(
        "Is it on budget?",
        choices=_answers(YES_NO_PARTLY),
        invalid_choice_message="Choose yes, no or partly",
    )
    benefits_realised = SelectField(
        "Have its benefits been realised?",
        choices=_answers(Answer),
        invalid_choice_message="Choose yes, no, partly or too early to say",
    )
    narrative = TextAreaField(
        "What has happened (optional)",
        description="Progress, issues and what you need. 2,000 characters at most.",
    )

    def details(self) -> UpdateDetails:
        def answer(field) -> Answer | None:
            return Answer(field.data) if field.data and not field.errors else None

        return UpdateDetails(
            reported_on=self.reported_on.data,
            rag=Rag(self.rag.data) if self.rag.data and not self.rag.errors else None,
            milestones_met=answer(self.milestones_met),
            on_time=answer(self.on_time),
            on_budget=answer(self.on_budget),
            benefits_realised=answer(self.benefits_realised),
            narrative=self.narrative.data or "",
        )


class CloseForm(UpdateForm):
    outcome = SelectField(
        "How did the project end?",
        choices=[
            SelectChoice(ProjectStatus.CLOSED.value, "Closed: it finished"),
            SelectChoice(ProjectStatus.STOPPED.value, "Stopped before it finished"),
        ],
        invalid_choice_message="Choose closed or stopped",
    )
    narrative = TextAreaField(
        "The final outcome",
        description="What it delivered, and what others can learn from it. 2,000 characters "
        "at most.",
    )

    def chosen_outcome(self) -> ProjectStatus:
        return ProjectStatus(self.outcome.data)
