"""`batchtui completion bash|zsh|fish`: print the shell hook that completes batchtui.

Examples: `eval "$(batchtui completion bash)"` in ~/.bashrc;
`batchtui completion fish > ~/.config/fish/completions/batchtui.fish`.
"""

from __future__ import annotations

import argparse
import sys

from batchtui.cli.completion import shell_script


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(shell_script(args.shell))
    return 0
