#!/usr/bin/env bash
# aider edits files from one message; it cannot run the training itself, so the message asks it
# to write solve.py, which is then run and submitted.
set -euo pipefail
cd "$WORKSPACE"
aider --yes-always --no-git --no-auto-commits --no-show-model-warnings \
  ${AIDER_MODEL:+--model "$AIDER_MODEL"} \
  --message "$(cat "$ASCENT_PROMPT_FILE")
Write the whole solution as solve.py in the workspace: it must train, write
output/submission.csv and exit." </dev/null
if [ -f solve.py ]; then
  python solve.py && ./submit output/submission.csv --final
fi
