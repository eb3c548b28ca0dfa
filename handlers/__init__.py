"""The business of ClientDesk: customer rules, hierarchy, merge, import, export. No Slack here."""
