"""NHS commissioner performance analytics: readers, cleansing, statistics and publishing.

Every computation used by the notebooks lives in this package so that it can be unit
tested; the notebooks only call these functions and display what they return.
"""

import sys

__version__ = "0.1.0"

# jsonschema (under nbformat, Papermill and Great Expectations) imports ``rfc3987_syntax`` if it
# is installed, only to check "iri" formats, which no schema here uses; the import compiles some
# forty grammars and costs about 2 s in every process and kernel that loads the package. Marking
# it absent makes jsonschema skip that one check. Set before anything imports jsonschema.
sys.modules.setdefault("rfc3987_syntax", None)
