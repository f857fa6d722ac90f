"""Entry points for people: the `policyqa` CLI and the Gradio chat app."""
