"""Domain logic: text in, sections, chunks, hits and answers out; no files, argv or UI."""
