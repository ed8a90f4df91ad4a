"""Helpers shared by several test packages (importable as `helpers`: pytest puts tests/ on
sys.path, since tests/ itself is not a package)."""
