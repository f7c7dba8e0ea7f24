"""Every model of every package, imported once so the metadata is complete.

Alembic and the migration tests compare the database with this metadata.
"""

from certificates import models as _certificates  # noqa: F401
from courses import models as _courses  # noqa: F401
from courses.assessments import models as _assessments  # noqa: F401
from lms.audit import audit as _audit  # noqa: F401
from lms.auth import models as _auth  # noqa: F401
from lms.core import outbox as _outbox  # noqa: F401
from lms.core.db import Base
from lms.cpd import models as _cpd  # noqa: F401
from lms.impact import models as _impact  # noqa: F401
from lms.people import models as _people  # noqa: F401
from lms.projects import models as _projects  # noqa: F401
from lms.reports import models as _reports  # noqa: F401

metadata = Base.metadata
