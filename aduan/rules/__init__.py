"""The routing rules: versions in the database (store), edits (edits), admin chat commands
(commands), the compiled rules in force (rulebook)."""
