"""Exceptions that mark a *user* error (bad config, data file or CLI argument).

The CLI turns every :class:`UserError` into a short message on stderr and exit
code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """An error in what the user gave us (config, data file, CLI argument).

    Parameters
    ----------
    messages
        One message per problem found. Each names the key or row, the value,
        the allowed range and why.
    source
        The file the problems were found in, if any.
    """

    def __init__(self, messages: str | list[str], source: str | None = None):
        if isinstance(messages, str):
            messages = [messages]
        self.messages = list(messages)
        self.source = source
        super().__init__(self.format())

    def format(self) -> str:
        """Render the messages as the CLI prints them.

        Returns
        -------
        str
            One line for a single problem, else a count and one indented ``- `` line per problem,
            prefixed by the source file when there is one.
        """
        prefix = f"{self.source}: " if self.source else ""
        if len(self.messages) == 1:
            return prefix + self.messages[0]
        lines = [f"{prefix}{len(self.messages)} problems:"]
        lines += [f"  - {m}" for m in self.messages]
        return "\n".join(lines)


class ConfigError(UserError):
    """A configuration file failed validation."""


class DataError(UserError):
    """A measurement data file could not be used."""


class OutputExistsError(UserError):
    """An output file exists and ``--overwrite`` was not given."""


class ModelRangeError(UserError, RuntimeError):
    """The model cannot be evaluated for these inputs: a numerical failure far outside the range
    it describes (e.g. strains of thousands). Also a RuntimeError for code that catches those.
    """
