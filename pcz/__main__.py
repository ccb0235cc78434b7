"""``python -m pcz`` runs the CLI."""
from pcz.cli import entry

entry()
