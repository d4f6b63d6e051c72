"""The web process under gunicorn: its settings and hooks (`gunicorn_conf`), its worker and the body deadline."""
