"""Referral to treatment (RTT) waiting times, from NHS England's monthly Full CSV extract."""

TABLES = ("pathways", "summary")
SUITES = ("rtt_full_csv.raw", "rtt_full_csv.rows", "rtt_pathways.processed", "rtt_summary.processed")
