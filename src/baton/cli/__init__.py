"""The command line: one module per command; errors become messages and exit codes here."""
