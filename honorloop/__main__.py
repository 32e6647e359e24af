import sys

from honorloop.cli import main

sys.exit(main())
