#!/usr/bin/env python3
"""Submit to the grading server of this run.

    ./submit FILE [--final]     grade FILE on the public leaderboard split (--final: choose it)
    ./submit --status           time and submissions left, best score so far
    ./submit --list             every submission of this run
    ./submit --select ID        choose submission ID as the final one
    ./submit --judge FILE       level-2 RL tasks: verdicts of the judge on the replies in FILE
                                ({"items": [{"id": ..., "reply": ...}]}; counts against the budget)
    ./submit --judge-status     the judge's query budget: used and remaining

Prints the server's JSON answer. Exit code: 0 valid, 1 invalid submission, 2 refused or error.
Uses GRADING_SERVER_URL and ASCENT_TOKEN from the environment. Standard library only.
"""

import json
import os
import sys
import urllib.error
import urllib.request


def call(method: str, route: str, payload: dict | None = None) -> tuple[int, dict]:
    url = os.environ["GRADING_SERVER_URL"].rstrip("/") + route
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", "Bearer " + os.environ["ASCENT_TOKEN"])
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, {"error": body.decode(errors="replace")}


def main(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    if args[0] == "--status":
        code, body = call("GET", "/status")
    elif args[0] == "--list":
        code, body = call("GET", "/submissions")
    elif args[0] == "--select" and len(args) == 2:
        code, body = call("POST", "/select", {"submission_id": args[1]})
    elif args[0] == "--judge-status":
        code, body = call("GET", "/judge")
    elif args[0] == "--judge" and len(args) == 2:
        with open(args[1], encoding="utf-8") as fh:
            code, body = call("POST", "/judge", json.load(fh))
    else:
        path = os.path.abspath(args[0])
        code, body = call("POST", "/submit", {"path": path, "final": "--final" in args[1:]})
    print(json.dumps(body, indent=2))
    if code != 200:
        return 2
    if isinstance(body, dict) and body.get("valid") is False:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
