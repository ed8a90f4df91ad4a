"""A real single-node SLURM cluster from Debian's packages, started by the tests as root.

No systemd, no cgroups: munged, slurmctld and slurmd run in the foreground from a temporary
folder of their own (state, spool, logs, munge key and socket), listening on 127.0.0.1 and
free ports. The node declares one GPU as a GRES with no device behind it, so `--gres gpu:1`
is scheduled for real. Client commands reach this cluster through `SLURM_CONF` (see `env`).
With `accounting=True` a slurmdbd on a private MariaDB is started too, so `sacct` answers.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from realparts.provision import ProvisionError, ensure_apt

SLURM_PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]
SLURM_COMMANDS = ["sbatch", "squeue", "scontrol", "scancel", "slurmctld", "slurmd", "munged"]
ACCOUNTING_PACKAGES = ["slurmdbd", "mariadb-server"]
NODE_NAME = "node1"
PARTITION = "debug"
START_TIMEOUT = 60.0


def ensure_slurm(*, accounting: bool = False) -> None:
    ensure_apt(SLURM_PACKAGES, commands=SLURM_COMMANDS)
    if accounting:
        ensure_apt(ACCOUNTING_PACKAGES, commands=["slurmdbd", "mariadbd", "sacct"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SlurmCluster:
    """A running test cluster; `env` is what a client command needs to talk to it."""

    root: Path
    conf: Path
    name: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    accounting: bool = False

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(command), capture_output=True, text=True, env=self.env, check=False, timeout=30
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")
        return result

    def log_tail(self, limit: int = 3000) -> str:
        parts = []
        for log in sorted((self.root / "log").glob("*.log")):
            parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-limit:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.processes.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(*, min_job_age: int = 300, accounting: bool = False) -> SlurmCluster:
    """Install (once) and start a fresh single-node cluster; the caller must `stop()` it."""
    ensure_slurm(accounting=accounting)
    # Not under pytest's 0700 tmp dirs: munged wants every parent of its socket o+x.
    root = Path(tempfile.mkdtemp(prefix="btui-slurm-", dir="/tmp"))
    root.chmod(0o755)
    name = f"bt{root.name[-6:].lower().replace('_', 'x')}"
    cluster = SlurmCluster(root=root, conf=root / "etc" / "slurm.conf", name=name)
    try:
        for sub in ("etc", "log", "run", "state", "spool", "munge-run"):
            (root / sub).mkdir(mode=0o755)
        socket_path = _start_munge(cluster)
        dbd_port = _start_accounting(cluster, socket_path) if accounting else None
        cluster.accounting = accounting
        _write_config(cluster, socket_path, min_job_age=min_job_age, dbd_port=dbd_port)
        _start_daemon(cluster, ["slurmctld", "-D", "-i", "-f", str(cluster.conf)], "slurmctld")
        _wait_for(cluster, lambda: cluster.run("scontrol", "ping", check=False).returncode == 0)
        _start_daemon(
            cluster,
            ["slurmd", "-D", "-N", NODE_NAME, "-f", str(cluster.conf)],
            "slurmd",
        )
        _wait_for(cluster, lambda: _node_ready(cluster))
    except Exception as exc:
        tail = cluster.log_tail()
        cluster.stop()
        raise ProvisionError(f"the test SLURM cluster did not start ({exc}):\n{tail}") from exc
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _start_munge(cluster: SlurmCluster) -> Path:
    key_dir = cluster.root / "munge-key"
    key_dir.mkdir(mode=0o700)
    key = key_dir / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    socket_path = cluster.root / "munge-run" / "munge.socket"
    command = [
        "munged",
        "--foreground",
        "--force",
        f"--key-file={key}",
        f"--socket={socket_path}",
        f"--pid-file={cluster.root / 'run' / 'munged.pid'}",
        f"--log-file={cluster.root / 'log' / 'munged.log'}",
        f"--seed-file={cluster.root / 'munge-key' / 'munged.seed'}",
    ]
    _start_daemon(cluster, command, "munged")
    _wait_for(cluster, socket_path.exists)
    return socket_path


def _start_daemon(cluster: SlurmCluster, command: list[str], name: str) -> None:
    out = open(cluster.root / "log" / f"{name}.out.log", "wb")  # noqa: SIM115 - owned by Popen
    process = subprocess.Popen(
        command, stdout=out, stderr=subprocess.STDOUT, env=cluster.env, start_new_session=True
    )
    out.close()
    cluster.processes.append(process)


def _wait_for(cluster: SlurmCluster, ready: object, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(ready) and ready():
            return
        dead = [p.args for p in cluster.processes if p.poll() is not None]
        if dead:
            raise ProvisionError(f"{dead[0][0]} exited")
        time.sleep(0.2)
    raise ProvisionError(f"timed out after {timeout}s")


def _node_ready(cluster: SlurmCluster) -> bool:
    result = cluster.run("sinfo", "-h", "-N", "-o", "%T", check=False)
    return result.returncode == 0 and result.stdout.strip() in {"idle", "mixed", "allocated"}


def _node_line() -> str:
    """The node as `slurmd -C` sees this machine, renamed and bound to loopback."""
    detected = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    fields = dict(item.split("=", 1) for item in detected.splitlines()[0].split() if "=" in item)
    keep = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore", "RealMemory")
    hardware = " ".join(f"{key}={fields[key]}" for key in keep if key in fields)
    return f"NodeName={NODE_NAME} NodeAddr=127.0.0.1 NodeHostname={NODE_NAME} {hardware} Gres=gpu:1"


def _write_config(
    cluster: SlurmCluster, munge_socket: Path, *, min_job_age: int, dbd_port: int | None
) -> None:
    root = cluster.root
    accounting = (
        [
            "AccountingStorageType=accounting_storage/slurmdbd",
            "AccountingStorageHost=127.0.0.1",
            f"AccountingStoragePort={dbd_port}",
            # For slurmdbd connections this names the munge socket, not a password.
            f"AccountingStoragePass={munge_socket}",
            "JobAcctGatherType=jobacct_gather/linux",
            "JobAcctGatherFrequency=30",
        ]
        if dbd_port
        else [
            "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none",
        ]
    )
    lines = [
        f"ClusterName={cluster.name}",
        "SlurmctldHost=localhost(127.0.0.1)",
        f"SlurmctldPort={free_port()}",
        f"SlurmdPort={free_port()}",
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        f"AuthInfo=socket={munge_socket}",
        "CredType=cred/munge",
        f"StateSaveLocation={root / 'state'}",
        f"SlurmdSpoolDir={root / 'spool'}",
        f"SlurmctldPidFile={root / 'run' / 'slurmctld.pid'}",
        f"SlurmdPidFile={root / 'run' / 'slurmd.pid'}",
        f"SlurmctldLogFile={root / 'log' / 'slurmctld.log'}",
        f"SlurmdLogFile={root / 'log' / 'slurmd.log'}",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobCompType=jobcomp/none",
        *accounting,
        "SchedulerType=sched/backfill",
        "SchedulerParameters=batch_sched_delay=0",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core",
        "MpiDefault=none",
        "SwitchType=switch/none",
        "ReturnToService=2",
        f"MinJobAge={min_job_age}",
        "KillWait=5",
        "GresTypes=gpu",
        _node_line(),
        f"PartitionName={PARTITION} Nodes={NODE_NAME} Default=YES MaxTime=INFINITE State=UP",
    ]
    cluster.conf.write_text("\n".join(lines) + "\n")
    (cluster.conf.parent / "gres.conf").write_text(
        f"NodeName={NODE_NAME} Name=gpu File=/dev/null Count=1\n"
    )
    (cluster.conf.parent / "cgroup.conf").write_text("")


def _start_accounting(cluster: SlurmCluster, munge_socket: Path) -> int:
    """A private MariaDB (no grant tables: loopback only, gone with the cluster) and a
    slurmdbd on it; returns slurmdbd's port."""
    data = cluster.root / "mariadb"
    run = cluster.root / "run"
    log = cluster.root / "log"
    install = subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={data}",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if install.returncode != 0:
        raise ProvisionError(f"mariadb-install-db failed: {install.stderr[-1500:]}")
    db_port = free_port()
    db_socket = run / "mariadb.sock"
    _start_daemon(
        cluster,
        [
            "mariadbd",
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={db_socket}",
            f"--port={db_port}",
            "--bind-address=127.0.0.1",
            "--user=root",
            "--skip-grant-tables",
            f"--pid-file={run / 'mariadb.pid'}",
            f"--log-error={log / 'mariadb.log'}",
            "--innodb-buffer-pool-size=16M",
        ],
        "mariadbd",
    )
    _wait_for(cluster, db_socket.exists)
    dbd_port = free_port()
    conf = cluster.conf.parent / "slurmdbd.conf"
    conf.write_text(
        "\n".join(
            [
                "AuthType=auth/munge",
                f"AuthInfo=socket={munge_socket}",
                "DbdHost=localhost",
                "DbdAddr=127.0.0.1",
                f"DbdPort={dbd_port}",
                "SlurmUser=root",
                "StorageType=accounting_storage/mysql",
                "StorageHost=127.0.0.1",
                f"StoragePort={db_port}",
                "StorageUser=root",
                f"StorageLoc=slurm_{cluster.name}",
                f"PidFile={run / 'slurmdbd.pid'}",
                f"LogFile={log / 'slurmdbd.log'}",
            ]
        )
        + "\n"
    )
    conf.chmod(0o600)
    _start_daemon(cluster, ["slurmdbd", "-D"], "slurmdbd")
    _wait_for(cluster, lambda: _port_open(dbd_port))
    return dbd_port


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
