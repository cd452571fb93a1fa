"""How workers and the engine talk: shared memory for text, pipes for descriptors.

Everything here is created by the gunicorn master before any worker forks;
workers inherit it through fork and the engine receives it as file descriptors.
"""
