import sys

from nllb.engine.process import main

sys.exit(main(sys.argv[1:]))
