"""The scriptable `batchtui` command: argparse up front, everything else imported lazily."""
