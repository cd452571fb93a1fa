"""The HTTP side: a Falcon WSGI app run by gunicorn's sync or gthread workers."""
