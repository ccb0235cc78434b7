"""Operating-system services: safe atomic output, interrupt handling, worker processes."""
