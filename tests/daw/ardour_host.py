"""A real, headless Ardour 7 for tests: build a session, run it with its OSC surface on, talk to it, export.

Everything runs through the Debian ``ardour`` package's command-line tools on the Dummy backend
(``ardour7-lua`` = /usr/lib/ardour7/luasession, ``ardour7-export``), with HOME and XDG_CONFIG_HOME
pointing into a temporary folder so the user's Ardour settings are never read or written.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
import numpy as np
import soundfile as sf

from tests.bridge.fakes import Client

HERE = Path(__file__).resolve().parent / "ardour"
TOOLS = ("ardour7-lua", "ardour7-export")
#: Ardour's audio time unit in session files ("a<superclock>"): superclock ticks per second.
SUPERCLOCK = 282240000
OSC_PROTOCOL = "Open Sound Control (OSC)"


def missing_tools() -> list[str]:
    """The Ardour command-line tools that are not on PATH."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@dataclass
class ArdourSession:
    """One test session: its folder, name, isolated environment and OSC port."""

    folder: Path
    name: str
    env: dict[str, str]
    osc_port: int
    rate: int

    @property
    def file(self) -> Path:
        return self.folder / f"{self.name}.ardour"

    def source(self, channel: str) -> Path:
        """The mono WAV of the input region's ``channel`` ("L" or "R")."""
        return self.folder / "interchange" / self.folder.name / "audiofiles" / f"stito-input%{channel}.wav"


def isolated_env(home: Path, osc_port: int) -> dict[str, str]:
    """An environment whose Ardour configuration lives in ``home``, with the OSC surface on ``osc_port``."""
    config = home / ".config" / "ardour7"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Ardour>\n  <Config>\n'
        f'    <Option name="osc-port" value="{osc_port}"/>\n  </Config>\n</Ardour>\n', encoding="utf-8")
    return {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


def run_lua(script: Path, env: dict[str, str], marker: str, timeout: float = 120.0) -> str:
    """Run ``script`` in ardour7-lua, which prints ``marker`` when it got to its end; returns the output."""
    done = subprocess.run(["ardour7-lua", str(script)], env=env, capture_output=True, text=True, timeout=timeout)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and marker in output, f"ardour7-lua {script.name} failed:\n{output[-3000:]}"
    return output


def build_session(root: Path, samples: np.ndarray, rate: int, plugins: list[str], osc_port: int,
                  plugin_type: str = "LADSPA") -> ArdourSession:
    """A session with one stereo track playing ``samples`` (2, frames) through ``plugins`` (LADSPA names,
    or LV2 URIs with ``plugin_type="LV2"``)."""
    session = ArdourSession(root / "session", "stito", isolated_env(root / "home", osc_port), osc_port, rate)
    env = {**session.env, "STITO_DIR": str(session.folder), "STITO_NAME": session.name, "STITO_RATE": str(rate),
           "STITO_FRAMES": str(samples.shape[1]), "STITO_PLUGINS": ",".join(plugins), "STITO_PLUGIN_TYPE": plugin_type}
    run_lua(HERE / "build_session.lua", env, "BUILT ")
    for channel, data in zip("LR", samples):
        sf.write(str(session.source(channel)), data, rate, subtype="FLOAT")
    patch_session(session.file, samples.shape[1], rate)
    return session


def patch_session(path: Path, frames: int, rate: int) -> None:
    """Turn the OSC surface on (replying to the sender's port) and set the session range to the region."""
    text = path.read_text(encoding="utf-8")
    off = f'<Protocol name="{OSC_PROTOCOL}" active="0"/>'
    assert off in text, f"{path}: no inactive OSC protocol entry to switch on"
    text = text.replace(off, f'<Protocol name="{OSC_PROTOCOL}" active="1" address-only="0"/>')
    end = frames * SUPERCLOCK // rate
    location = (f'<Location id="990001" name="session" start="a0" end="a{end}" flags="IsSessionRange" '
                'locked="0" timestamp="1" cue="0"/>')
    text = re.sub(r"<Locations/>", f"<Locations>\n    {location}\n  </Locations>", text, count=1)
    path.write_text(text, encoding="utf-8")


class RunningArdour:
    """ardour7-lua keeping ``session`` loaded until :meth:`stop` (which saves it)."""

    def __init__(self, session: ArdourSession, max_s: float = 180.0) -> None:
        self.session = session
        self.stop_file = session.folder / "stop-now"
        env = {**session.env, "STITO_DIR": str(session.folder), "STITO_NAME": session.name,
               "STITO_STOP": str(self.stop_file), "STITO_MAX_S": str(int(max_s))}
        self.log = session.folder / "ardour.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(["ardour7-lua", str(HERE / "serve_session.lua")], env=env,
                                            stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, client: Client, timeout: float = 60.0) -> None:
        """Poll the OSC surface (/strip/list) until Ardour answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"Ardour exited early:\n{self.output()}"
            client.send("/strip/list")
            try:
                client.wait_for("#reply", timeout=1.0)
                return
            except AssertionError:
                continue
        raise AssertionError(f"Ardour's OSC surface did not answer on port {self.session.osc_port}:\n{self.output()}")

    def stop(self, timeout: float = 60.0) -> None:
        """Ask the script to save and close, then wait; kills only this process if it hangs."""
        self.stop_file.touch()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"Ardour did not stop within {timeout} s:\n{self.output()}") from None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def osc_client(port: int) -> Client:
    """A python-osc client talking to Ardour's OSC surface on ``port``."""
    return Client(("127.0.0.1", port))


def descriptor_values(client: Client, strip: int, plugin: int, timeout: float = 10.0) -> dict[int, float]:
    """Current value of each parameter of ``plugin`` on ``strip`` from /strip/plugin/descriptor replies."""
    client.clear()
    client.send("/strip/plugin/descriptor", strip, plugin)
    client.wait_for("/strip/plugin/descriptor_end", timeout)
    replies = [m.args for m in client.of("/strip/plugin/descriptor") if m.args[:2] == (strip, plugin)]
    return {int(args[2]): float(args[-1]) for args in replies}


def saved_values(path: Path) -> dict[int, dict[int, float]]:
    """Per plugin (1-based strip position) the saved control values, 1-based in the plugin's port order
    (LADSPA state numbers its ports; LV2 state lists its input controls by symbol, in port order)."""
    root = ET.parse(path).getroot()
    route = next(r for r in root.iter("Route") if r.get("name") == "stito")
    plugins = [p for p in route.iter("Processor") if p.get("type") in ("ladspa", "lv2")]
    return {index: {k: float(port.get("value")) for k, port in enumerate(p.find(p.get("type")).iter("Port"), start=1)}
            for index, p in enumerate(plugins, start=1)}


#: Times ardour7-export is started when it dies by a signal. Debian's Ardour 7 export tool now and then
#: aborts in its own teardown ("double free or corruption", SIGABRT) on the same session it renders
#: fine the next time; an export that fails any other way fails the test at once.
EXPORT_ATTEMPTS = 3


def export(session: ArdourSession, out: Path, timeout: float = 120.0) -> np.ndarray:
    """Render the session range from the master bus as float WAV; returns (channels, frames)."""
    for _ in range(EXPORT_ATTEMPTS):
        out.unlink(missing_ok=True)
        done = subprocess.run(["ardour7-export", "-b", "float", "-s", str(session.rate), "-o", str(out),
                               str(session.folder), session.name], env=session.env, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode >= 0:
            break
    assert done.returncode == 0 and out.exists(), f"ardour7-export failed:\n{(done.stdout + done.stderr)[-3000:]}"
    data, rate = sf.read(str(out), dtype="float32", always_2d=True)
    assert rate == session.rate
    return data.T

