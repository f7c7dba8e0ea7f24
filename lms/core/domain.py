"""The base of every domain error: a rule refused an action."""


class DomainError(Exception):
    """Raised by a service when a rule refuses an action.

    `str(error)` is a plain-English message fit to show the person; `field`, when
    set, names the form field the message belongs next to.
    """

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        if field is not None:
            self.field = field

    @property
    def message(self) -> str:
        return str(self)
