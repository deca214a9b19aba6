"""The Excel shell: UDFs (udfs.py, the only module importing xlwings) over pure functions (functions.py)."""
