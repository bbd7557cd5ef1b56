"""One reader per published format. Each reads the file exactly as the publisher wrote it."""
