#!/usr/bin/env bash
# Installs everything stito needs on a fresh Debian/Ubuntu machine (run as root or with sudo available):
# Debian packages (real LADSPA/VST3 plugins, PortAudio, sox; benchmark content, see
# stito_core/bench/DATA.md) and the Python package with its dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT_PACKAGES="zam-plugins tap-plugins caps swh-plugins cmt libsndfile1 libportaudio2 sox g++
  asterisk-core-sounds-en-g722 asterisk-core-sounds-it-g722 fretsonfire-songs-muldjord fretsonfire-songs-sectoid
  lmms-common tumiki-fighters-data lua5.4 nodejs
  invada-studio-plugins-ladspa lsp-plugins-ladspa espeak-ng flite fluidsynth timgm6mb-soundfont"
# The full pretraining corpus (`stito pretrain corpus`, see stito_core/pretrain/README.md) needs more content
# packages; `bash scripts/setup.sh --pretrain` installs them too.
PRETRAIN_PACKAGES="festival festvox-kallpc16k festvox-us-slt-hts fluid-soundfont-gm musescore-general-soundfont-small
  avldrums.lv2-soundfont openttd-openmsx extremetuxracer-data frozen-bubble-data chromium-bsu-data lomiri-sounds
  ktuberling-data lincity-ng-data sound-theme-freedesktop oxygen-sounds"
[ "${1:-}" = "--pretrain" ] && APT_PACKAGES="$APT_PACKAGES $PRETRAIN_PACKAGES"
# Ardour 7 (about 23 MB download without recommends) is the real host the DAW-integration tests drive headless;
# it also installs Ardour's ACE LV2 plugins. lilv is what the LV2 host loads plugins with; x42-plugins are the
# `x42` chain's plugins.
HOST_PACKAGES="ardour liblilv-0-0 x42-plugins"
missing=$(dpkg-query -W -f='${Status} ${Package}\n' $APT_PACKAGES $HOST_PACKAGES 2>/dev/null | awk '!/ installed /{print $NF}' || true)
if [ -n "$missing" ] || ! dpkg-query -W $APT_PACKAGES $HOST_PACKAGES >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $APT_PACKAGES >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $HOST_PACKAGES >/dev/null
fi
# torch 2.13.0 first: on this kind of machine it resolves to the local CPU build, not multi-GB CUDA wheels.
python3 -m pip install -q "torch==2.13.0"
python3 -m pip install -q -e ".[test,bench]"
