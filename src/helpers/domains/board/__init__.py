"""The integrated performance report (board paper): measures charted with SPC, and every domain's section."""

# series: every measure's monthly values as read (before SPC); measures: the SPC points
TABLES = ("series", "measures", "quarantine")
SUITES = ("national_timeseries.raw", "board_measures.processed")
