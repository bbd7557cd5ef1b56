"""The QIPP savings tracker: schemes rated by the board's RAG rules, rolled up and reconciled."""

TABLES = ("schemes", "workstreams", "reconciliation", "yields", "rating_differences", "scenarios", "quarantine")
SUITES = ("qipp_tracker.rows", "qipp_reconciliation.processed", "qipp_schemes.processed")
