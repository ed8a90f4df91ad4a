"""The engine under the TUI and the CLI.

Nothing in this package may import textual or rich: scripts and the CLI use it
without paying for the TUI, and a test proves it in a subprocess.
"""
