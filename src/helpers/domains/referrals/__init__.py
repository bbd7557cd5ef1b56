"""The referral gateway: a referral management centre's booking backlog, waits and recovery plans."""

# "cleansed" is one row per referral (no identifiers); the rest are the report's measures.
TABLES = ("cleansed", "monthly", "backlog", "waits", "transfers", "practices", "headline", "booking_information",
          "booking_reconciliation", "quarantine")
SUITES = ("referral_extract.raw", "referrals_cleansed.processed", "referrals_monthly.processed",
          "referrals_practices.processed", "booking_information.reconciliation")
