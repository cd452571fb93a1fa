# nllb's gunicorn configuration: `gunicorn -c gunicorn.conf.py`. Settings come
# from the environment (see conf/nllb.env); the hooks live in nllb/server.py.
from nllb.gunicorn_config import *  # noqa: F401,F403
