"""Cohorts: runs of a course, their sessions and trainers, calendars, and who may manage
a cohort (`courses.cohorts.access`).

Import from the modules (`from courses.cohorts.cohorts import create_cohort`): this
package does not re-export them, because cohorts and enrolment stand on each other (a
cohort's capacity rising promotes its waitlist; enrolment reads a cohort's sessions),
and importing either package must not import the other's services half-way.
"""
