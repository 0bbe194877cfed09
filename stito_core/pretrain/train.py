"""Training AFx-Rep on the pretext task, on a CPU, a GPU, or several under ``torchrun``.

The same code runs everywhere: the device is detected (CUDA when present), ``torchrun`` sets WORLD_SIZE/RANK/
LOCAL_RANK and the model is wrapped in DistributedDataParallel with a DistributedSampler per rank; rank 0
alone validates, logs and writes. Adam with the paper's step schedule: the learning rate is divided by 10 at
85 % and at 95 % of ``steps`` (the total to reach, counting the steps of the checkpoint it continues).

Checkpoints (``stito_core.encoders.checkpoint`` format, so ``load_encoder(path)`` loads them) also hold the
heads, optimiser state, step, epoch position and RNG state: a run resumes from its own ``last.pt``, else
continues a given checkpoint (the shipped weights by default), else starts from the seed.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import torch
from torch import distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from ..encoders.afx_rep import AfxRepNet
from ..encoders.configs import CONFIGS
from ..encoders.checkpoint import load_checkpoint, save_checkpoint
from ..encoders.configs import LogMelConfig
from ..errors import StitoError
from .dataset import GroupShards
from .heads import PretextModel, losses
from .pairs import read_meta


@dataclass(frozen=True)
class TrainConfig:
    """Training settings. ``steps`` is the total to reach; ``batch_groups`` groups per rank per step (pairs =
    groups x group size); ``crop_s`` seconds per clip; ``lr`` Adam's rate, divided by 10 at each fraction of
    ``lr_drops``; ``gain_db`` the random gain range per clip; ``contrastive_weight`` 0 turns the contrastive
    term off; ``workers`` data-loader processes (None: 0 on CPU, 8 on GPU); ``amp`` bfloat16 autocast on GPU."""

    encoder: str = "small"
    steps: int = 6000
    batch_groups: int = 32
    crop_s: float = 1.5
    lr: float = 1e-3
    lr_drops: tuple[float, ...] = (0.85, 0.95)
    gain_db: tuple[float, float] = (-32.0, 0.0)
    contrastive_weight: float = 0.5
    temperature: float = 0.1
    hidden: int = 512
    log_every: int = 25
    val_every: int = 500
    checkpoint_every: int = 250
    workers: int | None = None
    amp: bool = True
    seed: int = 0


#: Named configurations: "quick" for tests; "cpu": 6000 steps of 64 pairs of 1.5 s (stored spectrograms, the
#: small encoder) for this project's 2-core machine; "gpu": 30000 steps of 256 pairs of 2 s.
TRAIN_CONFIGS = {
    "quick": TrainConfig(steps=6, batch_groups=2, crop_s=0.5, log_every=1, val_every=3, checkpoint_every=3),
    "cpu": TrainConfig(),
    "gpu": TrainConfig(steps=30000, batch_groups=128, crop_s=2.0, log_every=100, val_every=2000,
                       checkpoint_every=1000),
}
#: File names inside a run folder.
LAST, LOG = "last.pt", "log.jsonl"


@dataclass
class Runtime:
    """Where this process trains: its rank among ``world`` processes and its device."""

    rank: int = 0
    world: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def main(self) -> bool:
        """True on the rank that validates, logs and writes."""
        return self.rank == 0


@dataclass
class State:
    """What a checkpoint carries besides the weights: progress, timing and history."""

    step: int = 0
    epoch: int = 0
    position: int = 0
    wall_time_s: float = 0.0
    sessions: list = field(default_factory=list)
    validation: dict = field(default_factory=dict)


def start_runtime() -> Runtime:
    """This process's rank and device; joins the process group when started by ``torchrun``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local}") if torch.cuda.is_available() else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
        torch.backends.cudnn.benchmark = True
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Runtime(dist.get_rank() if world > 1 else 0, world, device)


def hardware(runtime: Runtime) -> str:
    """One line naming the devices, e.g. "1 x NVIDIA H100 80GB HBM3" or "cpu: 2 cores (x86_64)"."""
    if runtime.device.type == "cuda":
        return f"{runtime.world} x {torch.cuda.get_device_name(runtime.device)}"
    return f"cpu: {os.cpu_count()} cores ({platform.machine()}), {runtime.world} process(es)"


def lr_at(step: int, config: TrainConfig) -> float:
    """The learning rate for ``step``: ``lr`` divided by 10 at each of ``lr_drops`` (fractions of ``steps``)."""
    return config.lr * 0.1 ** sum(step >= drop * config.steps for drop in config.lr_drops)


# ------------------------------------------------------------------------------------------------ building
def build_model(config: TrainConfig, effects: int, presets: int) -> PretextModel:
    """A freshly initialised encoder (configuration ``config.encoder``) with its heads, seeded."""
    if config.encoder not in CONFIGS:
        raise StitoError(f"unknown encoder configuration '{config.encoder}'; valid: {', '.join(CONFIGS)}")
    torch.manual_seed(config.seed)
    return PretextModel(AfxRepNet(CONFIGS[config.encoder]), effects, presets, config.hidden)


def restore(model: PretextModel, optimizer: torch.optim.Optimizer, run_dir: Path, init: Path | None,
            pool: str) -> State:
    """Load the run's own last checkpoint (everything), else ``init`` (weights and step count; heads and
    optimiser too when it was trained on the same effect pool), else keep the fresh model."""
    path = run_dir / LAST if (run_dir / LAST).is_file() else init
    if path is None:
        return State()
    net, payload = load_checkpoint(path)
    if net.config != model.net.config:
        raise StitoError(f"{path}: encoder configuration differs from this run's; pick the matching --config")
    model.net.load_state_dict(net.state_dict())
    own, same_pool = path == run_dir / LAST, payload.get("meta", {}).get("pool") == pool
    if "heads" in payload and same_pool:
        model.load_state_dict({**model.state_dict(), **payload["heads"]})
    if "optimizer" in payload and same_pool:  # shipped weights carry no optimiser state
        optimizer.load_state_dict(payload["optimizer"])
    state = State(**payload["state"]) if "state" in payload else State()
    if own and "rng" in payload:
        torch.set_rng_state(payload["rng"])
    return state if own else replace(state, epoch=0, position=0)


def save(path: Path, model: PretextModel, optimizer: torch.optim.Optimizer, state: State, meta: dict) -> None:
    """Write a resumable checkpoint that ``load_encoder`` also loads."""
    heads = {k: v for k, v in model.state_dict().items() if not k.startswith("net.")}
    save_checkpoint(path, model.net, meta, heads=heads, optimizer=optimizer.state_dict(), state=asdict(state),
                    rng=torch.get_rng_state())


# ---------------------------------------------------------------------------------------------------- data
def _datasets(pairs_dir: Path, config: TrainConfig, front: LogMelConfig, world: int) -> tuple[GroupShards,
                                                                                            GroupShards]:
    """Training and validation groups, cropped to ``config.crop_s`` seconds; their spectrograms must come from
    the encoder's front end ``front``."""
    stored = read_meta(pairs_dir)["config"]
    if asdict(LogMelConfig(**stored["front"])) != asdict(front):
        msg = f"{pairs_dir}: pairs hold spectrograms of another front end ({stored['front']}) than the encoder's"
        raise StitoError(msg)
    if config.crop_s > stored["clip_s"]:
        raise StitoError(f"crops of {config.crop_s} s are longer than the {stored['clip_s']} s clips in {pairs_dir}")
    frames = int(config.crop_s * front.sample_rate / front.hop) + 1
    train = GroupShards(pairs_dir, "train", frames, config.gain_db, config.seed)
    val = GroupShards(pairs_dir, "val", frames, None, config.seed)
    if len(train) < config.batch_groups * world:
        msg = (f"{pairs_dir}: {len(train)} training groups, fewer than one batch of {config.batch_groups} groups "
               f"on each of {world} process(es); make more pairs")
        raise StitoError(msg)
    return train, val


def _epoch_loader(data: GroupShards, sampler: DistributedSampler, state: State, config: TrainConfig,
                  runtime: Runtime) -> DataLoader:
    """This rank's batches of epoch ``state.epoch`` from batch ``state.position`` on."""
    sampler.set_epoch(state.epoch)
    data.set_epoch(state.epoch)
    order, size = list(sampler), config.batch_groups
    batches = [order[i:i + size] for i in range(0, len(order) - size + 1, size)][state.position:]
    workers = config.workers if config.workers is not None else (8 if runtime.device.type == "cuda" else 0)
    return DataLoader(data, batch_sampler=batches, num_workers=workers, pin_memory=runtime.device.type == "cuda")


def _to(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


# --------------------------------------------------------------------------------------------------- steps
def train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, batch: dict[str, torch.Tensor],
               config: TrainConfig, presets: int, lr: float, device: torch.device) -> dict[str, float]:
    """One optimiser step on ``batch``; returns the loss terms and accuracies."""
    for group in optimizer.param_groups:
        group["lr"] = lr
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.amp and device.type == "cuda"):
        out = losses(model, _to(batch, device), presets, config.contrastive_weight, config.temperature)
    optimizer.zero_grad(set_to_none=True)
    out["loss"].backward()
    optimizer.step()
    return {k: float(v.detach()) for k, v in out.items()}


@torch.no_grad()
def validate(model: PretextModel, data: GroupShards, config: TrainConfig, presets: int,
             device: torch.device) -> dict[str, float]:
    """Mean loss terms and effect/preset accuracy over every validation group (centre crops, no gain)."""
    model.eval()
    totals: dict[str, float] = {}
    loader = DataLoader(data, batch_size=config.batch_groups)
    for batch in loader:
        out = losses(model, _to(batch, device), presets, config.contrastive_weight, config.temperature)
        for k, v in out.items():
            totals[k] = totals.get(k, 0.0) + float(v) * len(batch["effect"])
    model.train()
    return {f"val_{k}": round(v / max(len(data), 1), 4) for k, v in totals.items()}


# ---------------------------------------------------------------------------------------------------- loop
def train(pairs_dir: Path, run_dir: Path, config: TrainConfig, init: Path | None = None,
          max_minutes: float | None = None, extra_meta: dict | None = None) -> Path:
    """Train until ``config.steps`` (or ``max_minutes`` of wall time), checkpointing into ``run_dir``;
    returns the last checkpoint. ``extra_meta`` (corpus summary...) goes into the checkpoint's meta."""
    runtime = start_runtime()
    try:
        return _train(runtime, pairs_dir, run_dir, config, init, max_minutes, extra_meta or {})
    finally:
        if runtime.world > 1:
            dist.destroy_process_group()


def _train(runtime: Runtime, pairs_dir: Path, run_dir: Path, config: TrainConfig, init: Path | None,
           max_minutes: float | None, extra_meta: dict) -> Path:
    pairs = read_meta(pairs_dir)
    effects, presets = len(pairs["effects"]), pairs["presets_per_effect"]
    model = build_model(config, effects, presets).to(runtime.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    state = restore(model, optimizer, run_dir, init, pairs["pool"])
    train_data, val_data = _datasets(pairs_dir, config, model.net.config.front, runtime.world)
    sampler = DistributedSampler(train_data, runtime.world, runtime.rank, shuffle=True, seed=config.seed,
                                 drop_last=True)
    wrapped = DistributedDataParallel(model, device_ids=[runtime.device.index] if runtime.device.type == "cuda"
                                      else None) if runtime.world > 1 else model
    session = _Session(runtime, run_dir, config, pairs, extra_meta, state, max_minutes)
    while state.step < config.steps and not session.stop:
        for batch in _epoch_loader(train_data, sampler, state, config, runtime):
            metrics = train_step(wrapped, optimizer, batch, config, presets, lr_at(state.step, config), runtime.device)
            state.step, state.position = state.step + 1, state.position + 1
            session.after_step(model, optimizer, metrics, val_data, presets)
            if state.step >= config.steps or session.stop:
                break
        else:
            state.epoch, state.position = state.epoch + 1, 0
    return session.finish(model, optimizer, val_data, presets)


class _Session:
    """Logging, validation, checkpoints and the time limit of one call to :func:`train`."""

    def __init__(self, runtime: Runtime, run_dir: Path, config: TrainConfig, pairs: dict, extra_meta: dict,
                 state: State, max_minutes: float | None) -> None:
        self.runtime, self.run_dir, self.config, self.pairs, self.extra = runtime, run_dir, config, pairs, extra_meta
        self.state, self.start, self.first_step = state, time.time(), state.step
        self.deadline = None if max_minutes is None else self.start + 60 * max_minutes
        self.stop, self.tick = False, (time.time(), state.step)
        if runtime.main:
            run_dir.mkdir(parents=True, exist_ok=True)

    def after_step(self, model: PretextModel, optimizer: torch.optim.Optimizer, metrics: dict, val_data: GroupShards,
                   presets: int) -> None:
        """Log, validate, checkpoint and check the time limit as the step count says."""
        step, config = self.state.step, self.config
        self.stop = self.deadline is not None and self._agree(time.time() > self.deadline)
        if step % config.log_every == 0 or self.stop:
            self._log(metrics)
        if step % config.val_every == 0 and self.runtime.main:
            self._validate(model, val_data, presets)
        if step % config.checkpoint_every == 0:
            self._checkpoint(model, optimizer)

    def finish(self, model: PretextModel, optimizer: torch.optim.Optimizer, val_data: GroupShards,
               presets: int) -> Path:
        """Validate and checkpoint at the end of the call; returns the checkpoint path."""
        if self.runtime.main and self.state.validation.get("step") != self.state.step:
            self._validate(model, val_data, presets)
        self._checkpoint(model, optimizer)
        return self.run_dir / LAST

    def _agree(self, flag: bool) -> bool:
        """True on every rank when any rank says so (ranks must stop at the same step)."""
        if self.runtime.world == 1:
            return flag
        value = torch.tensor([float(flag)], device=self.runtime.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def _log(self, metrics: dict) -> None:
        """One JSON line (and one stdout line) with the step's losses, accuracies, rate and speed."""
        now, (then, before) = time.time(), self.tick
        self.tick = (now, self.state.step)
        if not self.runtime.main:
            return
        row = {"step": self.state.step, "lr": float(f"{lr_at(self.state.step - 1, self.config):.3g}"),
               "steps_per_s": round((self.state.step - before) / max(now - then, 1e-9), 3),
               **{k: round(v, 4) for k, v in metrics.items()}}
        self._write(row)

    def _validate(self, model: PretextModel, val_data: GroupShards, presets: int) -> None:
        """Validation accuracies on held-out recordings, logged and kept for the meta."""
        if len(val_data):
            self.state.validation = {"step": self.state.step, **validate(model, val_data, self.config, presets,
                                                                          self.runtime.device)}
            self._write(self.state.validation)

    def _write(self, row: dict) -> None:
        print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        with open(self.run_dir / LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"time": round(time.time(), 1), **row}) + "\n")

    def _checkpoint(self, model: PretextModel, optimizer: torch.optim.Optimizer) -> None:
        """Rank 0 writes ``last.pt`` with the meta of everything trained so far; the others wait."""
        if self.runtime.main:
            save(self.run_dir / LAST, model, optimizer, self._closed_state(), self._meta())
        if self.runtime.world > 1:
            dist.barrier()

    def _closed_state(self) -> State:
        """The state with this session's time and steps added to the history."""
        spent = time.time() - self.start
        session = {"from_step": self.first_step, "to_step": self.state.step, "hardware": hardware(self.runtime),
                   "wall_time_s": round(spent, 1), "ended": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        return replace(self.state, wall_time_s=round(self.state.wall_time_s + spent, 1),
                       sessions=[*self.state.sessions, session])

    def _meta(self) -> dict:
        """The model card data: steps, hardware, time, data, effects, validation."""
        closed = self._closed_state()
        pairs_per_step = self.config.batch_groups * self.pairs["config"]["group_size"] * self.runtime.world
        return {"total_steps": closed.step, "pairs_per_step": pairs_per_step, "wall_time_s": closed.wall_time_s,
                "hardware": sorted({s["hardware"] for s in closed.sessions}), "sessions": closed.sessions,
                "encoder_config": self.config.encoder, "train_config": asdict(self.config),
                "pool": self.pairs["pool"], "effects": len(self.pairs["effects"]), "effect_ids": self.pairs["effects"],
                "presets_per_effect": self.pairs["presets_per_effect"], "pairs": self.pairs["config"],
                "validation": closed.validation, **self.extra}
