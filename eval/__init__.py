"""Gold set, metrics and the evaluation harness behind `policyqa eval`."""
