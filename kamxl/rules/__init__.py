"""The department's rules as pure functions: no workbook, DataFrame, Excel or CLI code here.

Where is the rule for X?  grading.py (value score, grade, MAN) · visits.py (cadence, overdue)
· completeness.py (档案完整率) · kpi.py (KPI ratios, points, total, rating) · periods.py.
"""
