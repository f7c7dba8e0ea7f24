"""Blueprints of the courses package: catalogue, cohorts, enrolment, approvals, admin."""
