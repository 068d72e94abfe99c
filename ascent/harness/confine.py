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


def open_confined(
    workspace: Path, user_path: str, inside_root: str, allow_directory: bool = False
) -> int:
    """A read-only file descriptor of the regular file (or, if allowed, the folder) `user_path`
    inside `workspace`."""
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
    if allow_directory and stat.S_ISDIR(mode):
        return final
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


def copy_tree_confined(dir_fd: int, target: Path, max_bytes: int) -> int:
    """Copy a folder opened with `open_confined`: regular files and folders only, links and
    special files refused, at most `max_bytes` in all. Returns the bytes copied."""
    target.mkdir()
    total = 0
    for entry in sorted(os.listdir(dir_fd)):
        try:
            fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP or _is_link(entry, dir_fd):
                raise InvalidSubmission(
                    f"the folder holds a symbolic link ({entry}); copy the file instead"
                ) from None
            raise InvalidSubmission(
                f"{entry} in the folder cannot be opened: {exc.strerror}"
            ) from None
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                total += copy_tree_confined(fd, target / entry, max_bytes - total)
            elif stat.S_ISREG(mode):
                with os.fdopen(os.dup(fd), "rb") as src, (target / entry).open("wb") as dst:
                    while block := src.read(1 << 20):
                        total += len(block)
                        if total > max_bytes:
                            raise InvalidSubmission(
                                f"the submitted folder is over the size limit of {max_bytes // 2**20} MB"
                            )
                        dst.write(block)
            else:
                raise InvalidSubmission(f"{entry} in the folder is not a regular file or folder")
        finally:
            os.close(fd)
    return total
