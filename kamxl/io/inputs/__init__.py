"""Reading the team's files: the workbooks given, their rows, earlier roll-ups."""
