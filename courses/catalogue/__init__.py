"""The catalogue: courses, categories, accreditation, prerequisites, search.

Callers import the services from here: `from courses.catalogue import publish`.
"""

from courses.catalogue.catalogue import (
    CatalogueError,
    CategoryInvalid,
    CourseDetails,
    CourseInvalid,
    StatusChangeRefused,
    add_category,
    admin_courses,
    archive,
    course_by_code,
    create_course,
    publish,
    published_courses,
    rename_category,
    upcoming_cohorts,
    update_course,
)

__all__ = [
    "CatalogueError",
    "CategoryInvalid",
    "CourseDetails",
    "CourseInvalid",
    "StatusChangeRefused",
    "add_category",
    "admin_courses",
    "archive",
    "course_by_code",
    "create_course",
    "publish",
    "published_courses",
    "rename_category",
    "upcoming_cohorts",
    "update_course",
]
