"""The one exception type the CLI turns into a single sentence and a non-zero exit."""


class PlinthError(Exception):
    """A user-facing failure: the message is one complete sentence, no traceback is shown."""
