"""Errors the pipeline reports to people, and the exit codes they map to.

Schedulers and CI read the exit code of ``python -m helpers.pipeline run``, so each kind of
failure has its own:

====  ===================================================================================
code  meaning
====  ===================================================================================
0     success: an edition was published, or nothing had changed
1     internal error (a bug, a crashed tool, a full disk): see the run's log
2     data-quality failure: an unreadable file or a failed critical expectation
3     input missing: no inputs folder, no source subfolder, or no matching files
4     locked: another run holds the lock; this one did nothing
5     configuration error: params.yaml (or a catalogue it names) asks for something invalid
====  ===================================================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_DATA_QUALITY = 2
EXIT_INPUT_MISSING = 3
EXIT_LOCKED = 4
EXIT_CONFIGURATION = 5


class PipelineError(Exception):
    """A failure the user can act on; the message says what and where."""

    exit_code = EXIT_INTERNAL


class InputMissingError(PipelineError):
    """An expected input file or folder is absent or empty of usable files."""

    exit_code = EXIT_INPUT_MISSING


class SourceFormatError(PipelineError):
    """A publisher file does not have the layout its reader expects."""

    exit_code = EXIT_DATA_QUALITY

    def __init__(self, path, problem: str, *, line: int | None = None, column: str | None = None):
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column '{column}'"
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.column = path, line, column


class ConfigurationError(PipelineError):
    """A setting is missing, unknown, of the wrong type or names something that does not exist."""

    exit_code = EXIT_CONFIGURATION


class DataQualityError(PipelineError):
    """A critical Great Expectations check failed; nothing downstream may be published."""

    exit_code = EXIT_DATA_QUALITY


EXIT_CODES_BY_NAME = {
    cls.__name__: cls.exit_code
    for cls in (PipelineError, InputMissingError, SourceFormatError, DataQualityError, ConfigurationError)
}


# Rows set aside rather than stopping the run are written, with these columns, to
# data/processed/<domain>_quarantine.parquet; the board paper's data-quality appendix reads them all.
QUARANTINE_COLUMNS = ["source", "file", "line", "column", "value", "reason"]
