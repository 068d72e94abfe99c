#!/usr/bin/env bash
# Claude Code in print mode: no permission prompts (the sandbox is the boundary), JSON events.
set -euo pipefail
cd "$WORKSPACE"
exec claude -p "$(cat "$ASCENT_PROMPT_FILE")" --dangerously-skip-permissions \
  --output-format stream-json --verbose ${ANTHROPIC_MODEL:+--model "$ANTHROPIC_MODEL"} </dev/null
