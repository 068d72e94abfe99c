"""The fine-tuning family: domain tasks where the agent submits a fine-tuned model directory."""
