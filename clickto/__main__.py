import sys

from clickto.cli import main

sys.exit(main())
