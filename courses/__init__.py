"""What is taught and how people take part: courses, cohorts, sessions, enrolment."""
