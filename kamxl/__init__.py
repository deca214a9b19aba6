"""kamxl — the Excel-first toolkit of a key-account sales department (大客户部)."""

__version__ = "0.1.0"
TEMPLATE_VERSION = "1.0"
