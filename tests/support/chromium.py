"""Find the Chromium the browser tests drive, or install Debian's, or say how to get one.

One function, :func:`find_chromium`, is used both by ``tests/browser.py`` and by ``make test``,
which runs this file (``python tests/support/chromium.py --install``) before the virtual environment is
built and before pytest starts, so a machine without a browser stops in seconds with the command
to run instead of failing half-way through the suite. Stdlib only: it runs on the bare interpreter.

Order: ``$CHROMIUM`` (a path or a command name) if set, else the first of ``chromium``,
``chromium-browser`` and ``google-chrome`` on ``PATH``. ``--install`` adds Debian's ``chromium``
package with apt-get when that is possible without a password: as root, or with ``sudo -n``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

NAMES = ("chromium", "chromium-browser", "google-chrome")
INSTALL = ("apt-get", "install", "-y", "chromium")
HOW_TO = "sudo apt-get install -y chromium"


def find_chromium() -> str | None:
    """The browser's executable: ``$CHROMIUM`` when set (and nothing else then), else the first
    of :data:`NAMES` on ``PATH``; None when there is none."""
    named = os.environ.get("CHROMIUM")
    if named:
        return shutil.which(named)
    return next(filter(None, map(shutil.which, NAMES)), None)


def installer() -> list[str] | None:
    """The command prefix that can run apt-get without asking for a password, or None."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    sudo = shutil.which("sudo")
    if sudo and subprocess.run([sudo, "-n", "true"], stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=10).returncode == 0:
        return [sudo, "-n"]
    return None


def install(prefix: list[str]) -> bool:
    """apt-get update, then install Debian's chromium; True if both succeeded."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("make test: no Chromium found; installing Debian's chromium package with apt-get", flush=True)
    return all(subprocess.run([*prefix, *command], env=env, stdin=subprocess.DEVNULL).returncode == 0
               for command in (("apt-get", "update"), INSTALL))


def missing_message(tried_to_install: bool) -> str:
    """What to do, as one command. $CHROMIUM set to something that is not there is said first."""
    named = os.environ.get("CHROMIUM")
    if named:
        return (f"CHROMIUM={named} is not an executable. Point it at a Chromium or Chrome binary,\n"
                f"e.g.  make test CHROMIUM=/usr/bin/chromium")
    where = " or ".join(NAMES)
    if tried_to_install:
        return f"apt-get could not install chromium (its output is above). Once that is fixed:\n    {HOW_TO}"
    if shutil.which("apt-get"):
        return (f"The browser tests need Chromium; no {where} is on PATH and make cannot install it\n"
                f"without a password. Run this once, then make test again:\n    {HOW_TO}")
    return (f"The browser tests need Chromium; no {where} is on PATH and this machine has no\n"
            f"apt-get. Install Chromium or Chrome and name it:\n    make test CHROMIUM=/path/to/chrome")


def version(binary: str) -> str | None:
    """The browser's own version line (proof that it runs), or None if it does not run."""
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Find the Chromium the browser tests use.")
    parser.add_argument("--install", action="store_true", help="install Debian's chromium if none is found and it can be")
    args = parser.parse_args(argv)
    binary = find_chromium()
    tried = False
    if binary is None and args.install and not os.environ.get("CHROMIUM"):
        prefix = installer()
        if prefix is not None:
            tried = True
            binary = find_chromium() if install(prefix) else None
    if binary is None:
        print(f"make test: {missing_message(tried)}", file=sys.stderr)
        return 1
    found = version(binary)
    if found is None:
        print(f"make test: {binary} does not run ({binary} --version failed); the browser tests need it to.",
              file=sys.stderr)
        return 1
    print(f"Chromium for the browser tests: {binary} ({found})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
