"""Writing what kamxl hands out: the roll-up, the redacted copy, files replaced atomically."""
