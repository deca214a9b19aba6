"""Adapters around the rules: workbook readers and writers."""
