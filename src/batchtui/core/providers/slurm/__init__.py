"""The `slurm` kind: `vllm run-batch` in SLURM jobs, files in job folders on the cluster."""
