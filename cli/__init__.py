"""The `saylau` command line (click): each command parses, calls the engine, renders."""
