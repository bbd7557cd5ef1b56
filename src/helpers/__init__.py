"""NHS commissioner performance analytics: readers, cleansing, statistics and publishing.

Every computation used by the notebooks lives in this package so that it can be unit
tested; the notebooks only call these functions and display what they return.
"""

__version__ = "0.1.0"
