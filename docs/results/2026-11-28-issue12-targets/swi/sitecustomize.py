import os, sys
sys.setswitchinterval(float(os.environ.get("NLLB_X_SWITCH", "0.005")))
