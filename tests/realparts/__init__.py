"""Real third-party parts the suite drives (gateways, SDKs, SLURM, vLLM) and their installs."""
