"""``clientdesk``: run the bot, upgrade the database, manage customers from a shell."""

from __future__ import annotations

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
