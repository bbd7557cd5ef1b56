"""The action plan tracker: actions and milestones with their timescales, as at a report date."""

TABLES = ("plan", "milestones", "quarantine")
SUITES = ("action_plan.processed", "action_milestones.processed")
