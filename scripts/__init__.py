"""Developer entry points: start the stack, receive webhooks, run the demo flow."""
