"""Tables of the spreadsheet import (jobs, remembered mappings)."""

from __future__ import annotations
