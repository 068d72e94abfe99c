#!/usr/bin/env bash
# Headless mode with every tool action approved (the sandbox is the boundary).
set -euo pipefail
cd "$WORKSPACE"
exec gemini -p "$(cat "$ASCENT_PROMPT_FILE")" --approval-mode=yolo --skip-trust \
  ${GEMINI_MODEL:+--model "$GEMINI_MODEL"} </dev/null
