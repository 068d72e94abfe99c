"""The `ascent` command line."""
