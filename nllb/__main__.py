import sys

from nllb.cli import main

sys.exit(main())
