"""Set-up shared by the notebooks, so each runs the same in JupyterLab and under Papermill."""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

from helpers.core.config import project_root


def setup() -> Path:
    """Log progress into the notebook, quieten library chatter, and return the project root."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("helpers")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="great_expectations")
    return project_root()
