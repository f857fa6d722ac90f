"""Answering questions: the query, scope, retrieval, ranking, answers and abstention."""
