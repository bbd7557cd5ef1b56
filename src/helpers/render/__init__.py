"""Pages, tables, figures and charts in the house style; markup comes from templates (templating.py)."""

from helpers.render.templating import Fragment, template

__all__ = ["Fragment", "template"]
