"""Opening a file the agent names, confined to its workspace, without following links.

Every path component is opened relative to the previous one with O_NOFOLLOW, so neither a
symbolic link nor a `..` can lead outside, even if the agent swaps files while we look. Only a
regular file is accepted; FIFOs and devices are refused without blocking.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePosixPath

from ascent.errors import InvalidSubmission


def relative_parts(user_path: str, inside_root: str) -> list[str]:
    """The components of `user_path` below the workspace, as the agent sees the workspace."""
    if not user_path or "\x00" in user_path:
        raise InvalidSubmission("the submission path is empty or holds a NUL byte")
    path = PurePosixPath(user_path)
    if path.is_absolute():
        root = PurePosixPath(inside_root)
        if path != root and root not in path.parents:
            raise InvalidSubmission(
                f"the path {user_path} is outside the workspace {inside_root}; "
                "submit a file inside the workspace"
            )
        path = path.relative_to(root)
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts:
        raise InvalidSubmission("the submission path names the workspace itself, not a file")
    if ".." in parts:
        raise InvalidSubmission(
            f"the path {user_path} uses '..'; submit a file inside the workspace"
        )
    return parts


def open_confined(workspace: Path, user_path: str, inside_root: str) -> int:
    """A read-only file descriptor of the regular file `user_path` inside `workspace`."""
    parts = relative_parts(user_path, inside_root)
    fd = os.open(workspace, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            try:
                next_fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                raise _explain(exc, user_path, _is_link(part, fd)) from None
            os.close(fd)
            fd = next_fd
        try:
            final = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
        except OSError as exc:
            raise _explain(exc, user_path, _is_link(parts[-1], fd)) from None
    finally:
        os.close(fd)
    mode = os.fstat(final).st_mode
    if not stat.S_ISREG(mode):
        os.close(final)
        raise InvalidSubmission(f"{user_path} is not a regular file; submit a plain file")
    return final


def _explain(exc: OSError, user_path: str, is_link: bool) -> InvalidSubmission:
    if exc.errno == errno.ELOOP or is_link:
        return InvalidSubmission(
            f"{user_path} goes through a symbolic link; submit the file itself"
        )
    if exc.errno == errno.ENOENT:
        return InvalidSubmission(f"{user_path} does not exist in the workspace")
    if exc.errno == errno.ENOTDIR:
        return InvalidSubmission(f"{user_path}: a parent of it is not a folder")
    return InvalidSubmission(f"{user_path} cannot be opened: {exc.strerror}")


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False
