"""The pretraining effect pool: real LADSPA plugins and SoX effects, each with the ranges it is sampled over.

Every entry is data: which plugin, which category, which parameters are sampled over which range
(a name or a glob such as ``"*_hz_db"``; ``(min, max)`` evenly in the unit, ``(min, max, LOG)`` evenly
in log), and which are held fixed; the rest keep the plugin's default. Ranges are narrower than the
plugins' own where the full range only gives silence or noise (gains of -70 dB, delays of 8 s).
Plugins too slow for bulk rendering are left out (ZamGEQ31: about 1 s per 2.5 s of stereo; the pool's
median is about 10 ms).
Pedalboard's built-ins are deliberately absent: the ``builtin`` chain must stay unseen by pretraining.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..audio import Audio
from ..effects.base import Effect
from ..effects.ladspa import LadspaEffect
from ..errors import ChainError
from ..params import ParameterSpec, Scale
from .sox import SoxEffect

LOG = Scale.LOG
#: A sampled range: (minimum, maximum) in the parameter's unit, optionally with a scale.
Range = tuple[float, float] | tuple[float, float, Scale]

#: Effect categories and what they cover.
CATEGORIES = {
    "eq": "equalisers and filters",
    "dynamics": "compressors, limiters, gates, expanders, de-essers",
    "distortion": "saturation, overdrive, amp simulation, bit reduction",
    "modulation": "chorus, flanger, phaser, tremolo, vibrato, rotary, auto-filter",
    "delay": "echoes and multi-tap delays",
    "reverb": "algorithmic rooms and plates",
    "stereo": "width, panning and doubling",
}


@dataclass(frozen=True)
class PoolEntry:
    """One effect of the pool: ``backend`` "ladspa" (``plugin`` = library file, ``label``) or "sox"
    (``plugin`` = a :data:`~stito_core.pretrain.sox.KINDS` key); ``package`` is the Debian package."""

    id: str
    category: str
    backend: str
    plugin: str
    package: str
    label: str | None = None
    search: Mapping[str, Range] = field(default_factory=dict)
    fixed: Mapping[str, float] = field(default_factory=dict)


def _sox(kind: str, category: str) -> PoolEntry:
    """A SoX effect sampled over its full (already musical) ranges."""
    return PoolEntry(f"sox_{kind}", category, "sox", kind, "sox")


def _lsp(name: str) -> str:
    """The LADSPA label of an LSP plugin."""
    return f"http://lsp-plug.in/plugins/ladspa/{name}"


TAP, CAPS, SWH, CMT, ZAM = "tap-plugins", "caps", "swh-plugins", "cmt", "zam-plugins"
INV, LSP, LSP_SO = "invada-studio-plugins-ladspa", "lsp-plugins-ladspa", "lsp-plugins-ladspa-1.2.5.so"
E = PoolEntry

POOL: tuple[PoolEntry, ...] = (
    # --- EQ and filters ---------------------------------------------------------------------------------
    E("zam_eq2", "eq", "ladspa", "ZamEQ2-ladspa.so", ZAM, search={
        "boost_cut_*_db": (-18, 18), "bandwidth_*": (0.3, 4, LOG), "frequency_1_hz": (60, 4000, LOG),
        "frequency_2_hz": (300, 12000, LOG), "frequency_l_hz": (30, 500, LOG), "frequency_h_hz": (2000, 14000, LOG)}),
    E("caps_eq10", "eq", "ladspa", "caps.so", CAPS, "Eq10X2", search={"*": (-18, 12)}),
    E("caps_eq4p", "eq", "ladspa", "caps.so", CAPS, "Eq4p", search={
        "?_gain_db": (-18, 18), "?_q": (0, 1), "a_f_hz": (30, 500, LOG), "b_f_hz": (100, 3000, LOG),
        "c_f_hz": (500, 8000, LOG), "d_f_hz": (2000, 14000, LOG)}),
    E("tap_equalizer", "eq", "ladspa", "tap_eq.so", TAP, search={"band_*_gain_db": (-18, 12)}),
    E("swh_triple_para", "eq", "ladspa", "triple_para_1204.so", SWH, search={
        "*_gain_db": (-18, 18), "low_shelving_frequency_hz": (40, 400, LOG), "band_1_frequency_hz": (60, 600, LOG),
        "band_2_frequency_hz": (300, 3000, LOG), "band_3_frequency_hz": (1500, 12000, LOG),
        "high_shelving_frequency_hz": (3000, 16000, LOG), "band_*_bandwidth_octaves": (0.3, 3)}),
    E("swh_mbeq", "eq", "ladspa", "mbeq_1197.so", SWH, search={"*": (-18, 12)}),
    E("invada_lowpass", "eq", "ladspa", "inv_filter.so", INV, "invada_lp_stereo_filter_module_0_1",
      search={"frequency_hz": (500, 20000, LOG)}),
    E("invada_highpass", "eq", "ladspa", "inv_filter.so", INV, "invada_hp_stereo_filter_module_0_1",
      search={"frequency_hz": (30, 2000, LOG)}),
    E("caps_tonestack", "eq", "ladspa", "caps.so", CAPS, "ToneStack", search={"model": (0, 8), "bass": (0, 1),
                                                                              "mid": (0, 1), "treble": (0, 1)}),
    E("swh_dj_eq", "eq", "ladspa", "dj_eq_1901.so", SWH, "dj_eq", search={"*_gain_db": (-24, 6)}),
    E("lsp_loudness", "eq", "ladspa", LSP_SO, LSP, _lsp("loud_comp_stereo"),
      search={"loudness_contour_standard": (0, 3), "output_volume_db": (-40, 0)}),
    _sox("equalizer", "eq"),
    _sox("tone", "eq"),
    _sox("highpass", "eq"),
    _sox("lowpass", "eq"),
    # --- dynamics ---------------------------------------------------------------------------------------
    E("zam_comp", "dynamics", "ladspa", "ZamCompX2-ladspa.so", ZAM, search={
        "threshold_db": (-50, 0), "ratio": (1, 20, LOG), "attack_ms": (0.1, 100, LOG),
        "release_ms": (5, 500, LOG), "knee_db": (0, 8), "makeup_db": (0, 20)}),
    E("zam_maxim", "dynamics", "ladspa", "ZaMaximX2-ladspa.so", ZAM, search={
        "threshold_db": (-20, 0), "release_ms": (1, 100, LOG), "output_ceiling_db": (-6, 0)}),
    E("zam_gate", "dynamics", "ladspa", "ZamGateX2-ladspa.so", ZAM, search={
        "threshold_db": (-50, -10), "attack_ms": (0.1, 100, LOG), "release_ms": (1, 500, LOG),
        "max_gate_close_db": (-50, -10)}),
    E("zam_multicomp", "dynamics", "ladspa", "ZaMultiCompX2-ladspa.so", ZAM, search={
        "threshold_?_db": (-40, 0), "ratio?": (1, 10, LOG), "attack?_ms": (0.1, 100, LOG),
        "release?_ms": (5, 500, LOG), "crossover_freq_1_hz": (60, 1000, LOG), "crossover_freq_2_hz": (1400, 8000, LOG),
        "makeup_?_db": (0, 12)}, fixed={"zam_comp_1_on": 1, "zam_comp_2_on": 1, "zam_comp_3_on": 1}),
    E("caps_compress", "dynamics", "ladspa", "caps.so", CAPS, "CompressX2", search={
        "threshold": (0, 1), "strength": (0, 1), "attack": (0, 1), "release": (0, 1), "gain_db": (0, 24)}),
    E("tap_dynamics", "dynamics", "ladspa", "tap_dynamics_st.so", TAP, search={
        "function": (0, 14), "attack_ms": (4, 500, LOG), "release_ms": (4, 1000, LOG), "makeup_gain_db": (-6, 12)}),
    E("tap_limiter", "dynamics", "ladspa", "tap_limiter.so", TAP, search={"limit_level_db": (-20, 0)}),
    E("invada_compressor", "dynamics", "ladspa", "inv_compressor.so", INV, "invada_stereo_compressor_module_0_1",
      search={"threshold_db": (-36, 0), "ratio": (1, 20, LOG), "attack_ms": (0.1, 100, LOG),
              "release_ms": (10, 1000, LOG), "gain_db": (0, 12), "tight_sloppy": (0, 1)}, fixed={"soft_clip": 0}),
    E("swh_sc4", "dynamics", "ladspa", "sc4_1882.so", SWH, search={
        "rms_peak": (0, 1), "attack_time_ms": (1.5, 400, LOG), "release_time_ms": (2, 800, LOG),
        "threshold_level_db": (-30, 0), "ratio_1_n": (1, 20, LOG), "knee_radius_db": (1, 10),
        "makeup_gain_db": (0, 12)}),
    E("swh_lookahead_limiter", "dynamics", "ladspa", "fast_lookahead_limiter_1913.so", SWH, search={
        "input_gain_db": (0, 20), "limit_db": (-10, 0), "release_time_s": (0.01, 2, LOG)}),
    E("tap_deesser", "dynamics", "ladspa", "tap_deesser.so", TAP, search={
        "threshold_level_db": (-50, 0), "frequency_hz": (2000, 16000, LOG)}),
    E("lsp_compressor", "dynamics", "ladspa", LSP_SO, LSP, _lsp("compressor_stereo"), search={
        "attack_threshold_g": (0.01, 1, LOG), "attack_time_ms": (0.5, 200, LOG), "release_time_ms": (10, 1000, LOG),
        "ratio": (1, 20, LOG), "knee_g": (0.0631, 1, LOG), "makeup_gain_g": (1, 8, LOG)}),
    E("lsp_gate", "dynamics", "ladspa", LSP_SO, LSP, _lsp("gate_stereo"), search={
        "curve_threshold_g": (0.003, 0.3, LOG), "attack_ms": (0.5, 100, LOG), "release_ms": (10, 1000, LOG),
        "reduction_g": (0.001, 0.3, LOG)}),
    _sox("compand", "dynamics"),
    # --- distortion -------------------------------------------------------------------------------------
    E("caps_amp", "distortion", "ladspa", "caps.so", CAPS, "AmpVTS", search={
        "gain": (0, 1), "bright": (0, 1), "power": (0, 1), "tonestack": (0, 8), "bass": (0, 1), "mid": (0, 1),
        "treble": (0, 1), "squash": (0, 1), "lowcut": (0, 1)}),
    E("tap_tubewarmth", "distortion", "ladspa", "tap_tubewarmth.so", TAP, search={
        "drive": (0.1, 10, LOG), "tape_tube_blend": (-10, 10)}),
    E("tap_sigmoid", "distortion", "ladspa", "tap_sigmoid.so", TAP, search={"pre_gain_db": (-10, 20)}),
    E("invada_tube", "distortion", "ladspa", "inv_tube.so", INV, "invada_stereo_tube_module_0_1", search={
        "drive_db": (0, 18), "dc_offset": (-0.5, 0.5), "wet_dry_mix_pct": (50, 100)}),
    E("swh_valve", "distortion", "ladspa", "valve_1209.so", SWH, search={
        "distortion_level": (0, 1), "distortion_character": (0, 1)}),
    E("swh_satan", "distortion", "ladspa", "satan_maximiser_1408.so", SWH, search={
        "decay_time_samples": (2, 30), "knee_point_db": (-40, 0)}),
    E("swh_decimator", "distortion", "ladspa", "decimator_1202.so", SWH, search={
        "bit_depth": (4, 16), "sample_rate_hz": (2000, 48000, LOG)}),
    E("swh_foverdrive", "distortion", "ladspa", "foverdrive_1196.so", SWH, search={"drive_level": (1, 3)}),
    E("cmt_lofi", "distortion", "ladspa", "cmt.so", CMT, "lofi", search={
        "crackling_pct": (0, 50), "powersupply_overloading_pct": (0, 100),
        "opamp_bandwidth_limiting_hz": (1000, 10000, LOG)}),
    E("swh_vinyl", "distortion", "ladspa", "vynil_1905.so", SWH, search={
        "year": (1900, 1990), "rpm": (33, 78), "surface_warping": (0, 1), "crackle": (0, 1), "wear": (0, 1)}),
    _sox("overdrive", "distortion"),
    _sox("contrast", "distortion"),
    # --- modulation -------------------------------------------------------------------------------------
    E("tap_chorusflanger", "modulation", "ladspa", "tap_chorusflanger.so", TAP, search={
        "frequency_hz": (0.1, 5, LOG), "l_r_phase_shift_deg": (0, 180), "depth_pct": (10, 100),
        "delay_ms": (1, 50, LOG), "contour_hz": (20, 2000, LOG), "dry_level_db": (-20, 0), "wet_level_db": (-20, 0)}),
    E("caps_chorus", "modulation", "ladspa", "caps.so", CAPS, "ChorusI", search={
        "t_ms": (2.5, 40, LOG), "width_ms": (0.5, 10), "rate_hz": (0.05, 5, LOG), "blend": (0, 1),
        "feedforward": (0, 1), "feedback": (0, 0.9)}),
    E("caps_phaser", "modulation", "ladspa", "caps.so", CAPS, "PhaserII", search={
        "rate": (0, 1), "depth": (0, 1), "spread": (0, 1), "resonance": (0, 0.9)}),
    E("swh_multichorus", "modulation", "ladspa", "multivoice_chorus_1201.so", SWH, search={
        "number_of_voices": (1, 8), "delay_base_ms": (10, 40), "voice_separation_ms": (0, 2), "detune_pct": (0, 5),
        "lfo_frequency_hz": (2, 30, LOG)}),
    E("swh_flanger", "modulation", "ladspa", "flanger_1191.so", SWH, search={
        "delay_base_ms": (0.1, 25, LOG), "max_slowdown_ms": (0, 10), "lfo_frequency_hz": (0.05, 5, LOG),
        "feedback": (-0.9, 0.9)}),
    E("swh_autophaser", "modulation", "ladspa", "phasers_1217.so", SWH, "autoPhaser", search={
        "attack_time_s": (0, 1), "decay_time_s": (0, 1), "modulation_depth": (0, 1), "feedback": (-0.9, 0.9),
        "spread_octaves": (0, 2)}),
    E("tap_tremolo", "modulation", "ladspa", "tap_tremolo.so", TAP, search={
        "frequency_hz": (1, 20, LOG), "depth_pct": (10, 100)}),
    E("tap_vibrato", "modulation", "ladspa", "tap_vibrato.so", TAP, search={
        "frequency_hz": (1, 15, LOG), "depth_pct": (1, 20)}),
    E("tap_rotary", "modulation", "ladspa", "tap_rotspeak.so", TAP, search={
        "rotor_frequency_hz": (0.5, 10, LOG), "horn_frequency_hz": (0.5, 10, LOG), "mic_distance_pct": (0, 100),
        "rotor_horn_mix": (0, 1)}),
    E("caps_autofilter", "modulation", "ladspa", "caps.so", CAPS, "AutoFilter", search={
        "f_hz": (100, 3800, LOG), "q": (0, 1), "depth": (0, 1), "lfo_env": (0, 1), "rate": (0, 1), "shape": (0, 1)}),
    _sox("chorus", "modulation"),
    _sox("flanger", "modulation"),
    _sox("phaser", "modulation"),
    _sox("tremolo", "modulation"),
    # --- delay ------------------------------------------------------------------------------------------
    E("zam_delay", "delay", "ladspa", "ZamDelay-ladspa.so", ZAM, search={
        "time_ms": (20, 1000, LOG), "lpf_hz": (1000, 20000, LOG), "dry_wet": (0.1, 0.7), "feedback": (0, 0.8)}),
    E("tap_echo", "delay", "ladspa", "tap_echo.so", TAP, search={
        "l_delay_ms": (20, 800, LOG), "r_haas_delay_ms": (20, 800, LOG), "?_*feedback_pct": (0, 70),
        "?_echo_level_db": (-20, 0)}),
    E("swh_tape_delay", "delay", "ladspa", "tape_delay_1211.so", SWH, search={
        "tape_speed": (0.5, 5), "tap_?_distance_inches": (0, 4), "tap_?_level_db": (-30, 0)},
      fixed={"dry_level_db": 0}),
    E("cmt_feedback_delay", "delay", "ladspa", "cmt.so", CMT, "fbdelay_1s", search={
        "delay_s": (0.02, 1, LOG), "dry_wet_balance": (0.1, 0.7), "feedback": (-0.8, 0.8)}),
    E("swh_lcr_delay", "delay", "ladspa", "lcr_delay_1436.so", SWH, search={
        "?_delay_ms": (10, 1500, LOG), "?_level": (0, 50), "feedback": (-70, 70), "high_damp_pct": (0, 100),
        "low_damp_pct": (0, 100), "spread": (0, 50), "dry_wet_level": (0.1, 0.7)}),
    E("cmt_canyon_delay", "delay", "ladspa", "cmt.so", CMT, "canyon_delay", search={
        "*_time_s": (0.01, 0.99, LOG), "*_feedback_pct": (-0.8, 0.8), "low_pass_cutoff_hz": (500, 5000, LOG)}),
    _sox("echo", "delay"),
    # --- reverb -----------------------------------------------------------------------------------------
    E("tap_reverb", "reverb", "ladspa", "tap_reverb.so", TAP, search={
        "decay_ms": (200, 8000, LOG), "wet_level_db": (-20, 0), "reverb_type": (0, 42)}),
    E("caps_plate", "reverb", "ladspa", "caps.so", CAPS, "PlateX2", search={
        "bandwidth": (0, 1), "tail": (0, 1), "damping": (0, 1), "blend": (0.1, 0.8)}),
    E("swh_gverb", "reverb", "ladspa", "gverb_1216.so", SWH, search={
        "roomsize_m": (5, 100, LOG), "reverb_time_s": (0.3, 8, LOG), "damping": (0, 1), "input_bandwidth": (0, 1),
        "early_reflection_level_db": (-20, 0), "tail_level_db": (-20, 0)}, fixed={"dry_signal_level_db": 0}),
    E("swh_plate", "reverb", "ladspa", "plate_1423.so", SWH, search={
        "reverb_time": (0.1, 6, LOG), "damping": (0, 1), "dry_wet_mix": (0.1, 0.7)}),
    E("cmt_freeverb", "reverb", "ladspa", "cmt.so", CMT, "freeverb3", search={
        "room_size": (0, 1), "damping": (0, 1), "wet_level": (0.1, 0.8), "width": (0, 1)}),
    E("invada_early_reflections", "reverb", "ladspa", "inv_erreverb.so", INV, "invada_sum_reverbER_module_0_1",
      search={"room_*": (3, 30), "source_*": (0.1, 0.9), "listener_l_r": (0.1, 0.9), "hpf_hz": (48, 1000, LOG),
              "warmth": (0, 1), "diffusion": (0, 1)}),
    _sox("reverb", "reverb"),
    # --- stereo -----------------------------------------------------------------------------------------
    E("caps_wider", "stereo", "ladspa", "caps.so", CAPS, "Wider", search={"pan": (-0.5, 0.5), "width": (0, 1)}),
    E("caps_narrower", "stereo", "ladspa", "caps.so", CAPS, "Narrower", search={"mode": (0, 1), "strength": (0, 1)}),
    E("swh_spatialiser", "stereo", "ladspa", "matrix_spatialiser_1422.so", SWH, search={"width": (-512, 512)}),
    E("tap_doubler", "stereo", "ladspa", "tap_doubler.so", TAP, search={
        "time_tracking": (0, 1), "pitch_tracking": (0, 1), "wet_level_db": (-20, 0), "*_position": (0, 1)}),
    E("tap_autopan", "stereo", "ladspa", "tap_autopan.so", TAP, search={
        "frequency_hz": (0.5, 10, LOG), "depth_pct": (20, 100)}),
)


@dataclass(frozen=True)
class PoolEffect:
    """A loaded pool entry: the effect and the specs of its sampled parameters (narrowed ranges)."""

    entry: PoolEntry
    effect: Effect
    specs: tuple[ParameterSpec, ...]

    def sample(self, rng: np.random.Generator) -> dict[str, float]:
        """One random setting: each sampled parameter uniform in its normalised [0, 1], plus the fixed ones;
        whole-number parameters (toggles, modes) are rounded."""
        values = {spec.name: spec.from_normalized(rng.uniform()) for spec in self.specs}
        whole = set(getattr(self.effect, "integer_parameters", ()))
        return {**self.entry.fixed, **{k: float(round(v)) if k in whole else round(v, 6) for k, v in values.items()}}

    def process(self, audio: Audio, values: Mapping[str, float]) -> Audio:
        """Apply the effect with ``values`` (parameter name -> value in its unit)."""
        return self.effect.process(audio, values)

    def identity(self) -> dict:
        """The plugin this effect is, as plain data (stored beside presets and in model cards)."""
        e = self.entry
        return {"id": e.id, "category": e.category, "backend": e.backend, "plugin": e.plugin, "label": e.label,
                "package": e.package}


def load_effect(entry: PoolEntry) -> PoolEffect:
    """Load ``entry``'s plugin and narrow its sampled parameters; ChainError on a missing plugin or a bad name."""
    effect = SoxEffect(entry.plugin, entry.id) if entry.backend == "sox" else LadspaEffect(
        entry.plugin, entry.label, entry.id)
    by_name = {spec.name: spec for spec in effect.parameters}
    unknown = sorted(set(entry.fixed) - set(by_name))
    patterns = entry.search or {"*": None}
    empty = [p for p in patterns if not fnmatch.filter(by_name, p)]
    if unknown or empty:
        msg = f"{entry.id}: no parameter matches {', '.join(unknown + empty)}; parameters: {', '.join(by_name)}"
        raise ChainError(msg)
    return PoolEffect(entry, effect, tuple(_narrow(spec, patterns) for spec in effect.parameters
                                           if spec.name not in entry.fixed and _match(spec.name, patterns)))


def _match(name: str, patterns: Mapping[str, Range | None]) -> bool:
    """True when ``name`` matches one of ``patterns``."""
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def _narrow(spec: ParameterSpec, patterns: Mapping[str, Range | None]) -> ParameterSpec:
    """``spec`` over the range of the first pattern matching it (its own range for None)."""
    rng = next(r for p, r in patterns.items() if fnmatch.fnmatch(spec.name, p))
    return spec if rng is None else spec.with_range(rng[0], rng[1], rng[2] if len(rng) > 2 else Scale.LINEAR)


def load_pool(ids: list[str] | None = None) -> list[PoolEffect]:
    """The pool's effects (all, or those named in ``ids``, in pool order); every failure is reported in one
    ChainError naming the Debian packages to install."""
    entries = [e for e in POOL if ids is None or e.id in ids]
    missing = sorted(set(ids or ()) - {e.id for e in POOL})
    if missing:
        raise ChainError(f"unknown pool effect(s) {', '.join(missing)}; valid: {', '.join(e.id for e in POOL)}")
    loaded, errors = [], []
    for entry in entries:
        try:
            loaded.append(load_effect(entry))
        except ChainError as exc:
            errors.append(f"{exc} (Debian package {entry.package})")
    if errors:
        raise ChainError("effect pool: " + "; ".join(errors))
    return loaded


def fingerprint(entries: tuple[PoolEntry, ...] | list[PoolEntry] = POOL) -> str:
    """A short hash of the pool's ids and ranges: presets, pairs and checkpoints must agree on it."""
    rows = [[e.id, e.backend, e.plugin, e.label, sorted((k, list(v)) for k, v in e.search.items()),
             sorted(e.fixed.items())] for e in entries]
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()[:12]
