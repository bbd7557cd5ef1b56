"""The organisations an edition is about: ICBs, their sub-ICB locations, PCNs, practices and providers.

Built for all of England from the reference files (ODS ``epraccur``, the QOF geography) and the
RTT extract (the ICBs' names as NHS England writes them, the providers their patients use), so
that any ICB's edition, or every ICB's, is one lookup away.
"""

TABLES = ("icbs", "sub_icbs", "practices", "providers")
SUITES = ("organisation_practices.processed",)
