"""A real SLURM cluster and the real `vllm run-batch`, driven through the `batchtui` command.

Every test here is in the xdist group "cluster": one cluster at a time, and one vLLM at a
time (each job asks for the node's only GPU, so SLURM itself runs them one after another).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cluster.bed import Bed
from realparts.slurm import SlurmCluster, start_cluster
from realparts.vllm import tiny_model, vllm_python


@pytest.fixture(scope="module")
def cluster() -> Iterator[SlurmCluster]:
    """The main cluster: no accounting (the job script's end record counts), a long MinJobAge."""
    vllm_python()  # install first: a failed install fails here, before any daemon starts
    tiny_model()
    running = start_cluster(min_job_age=600)
    yield running
    running.stop()


@pytest.fixture
def bed(cluster: SlurmCluster, tmp_path: Path, isolated_environment: Path) -> Bed:
    work_dir = Path(cluster.root) / "work" / tmp_path.name
    work_dir.mkdir(parents=True)
    return Bed(cluster=cluster, work_dir=work_dir, home=tmp_path)
