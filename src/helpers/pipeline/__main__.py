"""``python -m helpers.pipeline``: the command line (see :mod:`helpers.pipeline.cli`)."""

import sys

from helpers.pipeline.cli import main

sys.exit(main())
