"""Where kubegate may read: symbolic links are followed only to files inside the checked tree.

A pull request can commit `apps/x.yaml -> /etc/passwd` or `-> ../../other-checkout/secret.yaml`; `kubegate
ci` must judge the repository, not whatever the link reaches. So every read of a checked file goes through
`refusal`: a link whose target is outside the fence, or that points at nothing, is refused with a reason
(the loader turns it into a YAML-005 finding) and never opened. Plain files and directories given on
the command line are the user's choice and are read as given.

The fence is the top of the git work tree that holds the configuration root (the repository), else the
working directory when the configuration root is inside it, else the configuration root; `kubegate ci`
sets it to the checked-out head tree.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path


def refusal(path: Path, fence: Path | None) -> str:
    """Why `path` must not be read ("" when it may). Costs one lstat for a file that is not a link."""
    if fence is None:
        return ""
    try:
        if not os.path.islink(path):
            return ""
        target = Path(os.path.realpath(path))
    except (OSError, ValueError):
        return "its path cannot be resolved"
    if not os.path.lexists(target) or not target.exists():
        return "it is a symbolic link to a file that does not exist"
    if not target.is_relative_to(_real(fence)):
        return "it is a symbolic link to a file outside the checked repository, which is never read"
    return ""


def fence_for(root: Path, cwd: Path) -> Path:
    """The directory reads are fenced to, for a run whose configuration root is `root`."""
    root = _real(root)
    top = _git_top(root)
    if top is not None:
        return top
    cwd = _real(cwd)
    return cwd if root.is_relative_to(cwd) else root


def _git_top(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if os.path.lexists(directory / ".git"):
            return directory
    return None


@functools.lru_cache(maxsize=16)
def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))
