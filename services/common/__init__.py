"""Plumbing every capsure service shares: settings, database, REST app, auth, health, serving."""
