#!/usr/bin/env bash
# Codex's own sandbox is switched off: the ascentlab sandbox is the boundary. stdin is closed
# so that `codex exec` does not wait for more input.
set -euo pipefail
cd "$WORKSPACE"
exec codex exec --sandbox danger-full-access --skip-git-repo-check \
  ${CODEX_MODEL:+--model "$CODEX_MODEL"} "$(cat "$ASCENT_PROMPT_FILE")" </dev/null
