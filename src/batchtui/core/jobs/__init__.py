"""Job use cases: submit, reconcile, refresh, results, groups, retries, sync, and the refresh loop."""
