"""Django's SQLite backend with fair, bounded waits for the write lock (lib/write_gate.py)."""
