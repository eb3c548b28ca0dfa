"""Listeners grouped by Slack surface; each module ends with ``register(app)``.

Every module in this package that defines ``register`` is registered, so a new surface is a new
module. ``/clients`` subcommands are declared with ``bot.listeners.router.subcommand``.
"""

from __future__ import annotations

import importlib
import pkgutil

from slack_bolt import App


def register(app: App) -> None:
    from bot.listeners import router

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if module is not router and hasattr(module, "register"):
            module.register(app)
    router.register(app)
