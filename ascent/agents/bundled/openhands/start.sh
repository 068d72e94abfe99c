#!/usr/bin/env bash
# Headless mode always approves actions; --override-with-envs applies LLM_MODEL, LLM_API_KEY
# and LLM_BASE_URL for this run only.
set -euo pipefail
cd "$WORKSPACE"
exec openhands --headless --override-with-envs -t "$(cat "$ASCENT_PROMPT_FILE")" </dev/null
