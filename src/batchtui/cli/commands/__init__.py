"""One module per command; each handler takes the parsed arguments, returns an exit code."""
