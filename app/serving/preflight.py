"""The check gunicorn's master runs before it binds a port or forks a worker: are settings and configuration valid?"""

from __future__ import annotations


def configuration_problem() -> str | None:
    """Return what is wrong with the settings or the configuration files (one line), or None when nothing is."""
    from app.rules import ConfigError, load_configuration
    from app.settings import SettingsError, load_settings

    try:
        load_configuration(load_settings().leadflow_config)
    except (SettingsError, ConfigError) as exc:
        return str(exc)
    return None
