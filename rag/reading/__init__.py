"""Reading documents: cleaning, metadata, the section tree, tables and passages."""
