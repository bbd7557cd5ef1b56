"""One package per domain, each with the same shape.

``<domain>/__init__.py`` names the domain's processed tables and Great Expectations suites (the
stage list builds ``dvc.yaml`` from them); ``settings.py`` declares what its stages take from
``params.yaml``; ``cleanse.py`` offers ``run(inputs, settings, project) -> StageResult``;
``measures.py`` the computations; ``report.py`` ``load(project, settings)``, table functions,
section functions that render those tables, and ``board_section(project, settings)``.
"""
