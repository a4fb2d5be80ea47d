"""``python -m shuangsuiji.cli``: the same command as ``shuangsuiji``."""

import sys

from shuangsuiji.cli import main

sys.exit(main())
