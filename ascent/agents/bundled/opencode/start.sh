#!/usr/bin/env bash
set -euo pipefail
cd "$WORKSPACE"
exec opencode run ${OPENCODE_MODEL:+--model "$OPENCODE_MODEL"} "$(cat "$ASCENT_PROMPT_FILE")" </dev/null
