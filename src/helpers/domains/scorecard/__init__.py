"""The GP practice balanced scorecard: indicators, bands, scores and a pack per practice."""

TABLES = ("indicators", "scores", "quarantine")  # practices: the organisation domain's
SUITES = ("fingertips_practice.raw", "qof_prevalence.raw", "child_immunisations.raw", "gp_payments.raw",
          "gp_practice_reference.epraccur", "gp_practice_reference.list_sizes", "scorecard_indicators.processed",
          "scorecard_scores.processed")
CATALOGUE = "catalogue/indicators.yaml"
# downloads wider than the edition's ICB, named so (helpers.core.config.download_stem): the practice
# files cover all of England, and so do the rows set aside from them
DOWNLOADS = {"quarantine": "scorecard_quarantine_all_england"}
