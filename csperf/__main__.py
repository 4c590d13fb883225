"""`python -m csperf` runs the command line."""

import sys

from csperf.cli import main

sys.exit(main())
