"""The stito Control Surface: a trigger note, one job to ``stito serve``, its replies, the values set.

Live calls the methods in the first block (a MIDI Remote Script's plain interface, no framework):
``build_midi_map`` forwards the trigger notes to ``receive_midi``, and ``update_display`` runs about every
100 ms on Live's main thread, where the daemon's replies are read without blocking (Live's embedded
Python must not start threads). Every message goes to Live's status bar and its Log.txt.
"""

import json
import os
import socket
import time

import Live

from . import apply, osc, settings

#: Seconds to wait for the daemon's first answer before saying it is not running.
ANSWER_S = 5.0
#: A clip whose name holds this (any case) is the reference.
REFERENCE_MARK = "stito:ref"


class StitoSurface(object):
    """One "stito" Control Surface. ``config`` is the settings module; ``clock`` gives seconds."""

    def __init__(self, c_instance, config=settings, clock=time.monotonic):
        self._c, self._config, self._clock = c_instance, config, clock
        self._sock, self._job, self._last = None, None, None
        self._say("note %d on channel %d matches the selected audio clip (stito serve at %s:%d)"
                  % (config.MATCH_NOTE, config.CHANNEL, config.HOST, config.PORT))

    # -- Live's interface ------------------------------------------------------------------------------
    def disconnect(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def connect_script_instances(self, instanciated_scripts):
        pass

    def song(self):
        return self._c.song()

    def suggest_input_port(self):
        return ""

    def suggest_output_port(self):
        return ""

    def suggest_map_mode(self, cc_no, channel):
        return Live.MidiMap.MapMode.absolute

    def can_lock_to_devices(self):
        return False

    def refresh_state(self):
        pass

    def build_midi_map(self, midi_map_handle):
        """Forward the trigger notes (and nothing else) to :meth:`receive_midi`."""
        for note in self._notes():
            Live.MidiMap.forward_midi_note(self._c.handle(), midi_map_handle, self._config.CHANNEL - 1, note)

    def receive_midi(self, midi_bytes):
        """A forwarded note-on: the match note starts a match, the apply note re-applies the last one."""
        status, note, velocity = (tuple(midi_bytes) + (0, 0, 0))[:3]
        if status != 0x90 + self._config.CHANNEL - 1 or velocity == 0:
            return
        self._guarded(self.match_selected if note == self._config.MATCH_NOTE else
                      self.apply_last if note == self._config.APPLY_NOTE else None)

    def update_display(self):
        self._guarded(self.poll)

    # -- the work --------------------------------------------------------------------------------------
    def match_selected(self):
        """Send a match of the clip in Live's Detail View to the daemon."""
        if self._job is not None:
            return self._say("a match is already running (job %s); wait for it" % self._job["id"])
        clip = self.song().view.detail_clip
        if clip is None or not clip.is_audio_clip:
            return self._say("select an audio clip first (the clip shown in the Detail View is matched)")
        reference = self._reference(clip)
        if reference is None:
            return self._say("no reference: name a clip \"%s\", or set REFERENCE in settings.py" % REFERENCE_MARK)
        token = self._token()
        if token is False:
            return
        job = {"id": time.strftime("live-%Y%m%d-%H%M%S"), "track": self._track_of(clip),
               "sent": self._clock(), "answered": False}
        args = (clip.file_path, reference, self._config.CHAIN, job["id"], "none", "1", self._config.MATCH)
        self._send("/stito/match", *((token,) if token else ()) + args)
        self._job = job
        self._say("matching %s to %s (job %s)" % (os.path.basename(clip.file_path), os.path.basename(reference),
                                                   job["id"]))

    def apply_last(self):
        """Set the last match's values again, on the selected track."""
        if self._last is None:
            return self._say("no match yet to apply")
        self._apply(self.song().view.selected_track, self._last, None)

    def poll(self):
        """Read the daemon's replies; notice a daemon that never answers and a job that never ends."""
        if self._job is None:
            return
        for address, args in self._receive():
            if self._job is not None and args[:1] in ([self._job["id"]], [""]):  # "": refused before a job
                self._job["answered"] = True
                self._on_reply(address, args)
        if self._job is None:
            return
        waited = self._clock() - self._job["sent"]
        if not self._job["answered"] and waited > ANSWER_S:
            self._end("no answer from stito serve at %s:%d; is it running?" % (self._config.HOST, self._config.PORT))
        elif waited > self._config.TIMEOUT_S:
            self._end("job %s did not finish within %d s" % (self._job["id"], self._config.TIMEOUT_S))

    def _on_reply(self, address, args):
        if address == "/stito/progress" and len(args) >= 3:
            self._c.show_message("stito: %s iteration %s, similarity %.3f" % (args[0], args[1], args[2]))
        elif address == "/stito/error":
            self._end("job %s failed: %s" % (args[0], args[1] if len(args) > 1 else "no reason given"))
        elif address == "/stito/done" and len(args) >= 4:
            track = self._job["track"]
            self._job = None
            self._last = args[2]
            self._apply(track, args[2], args[3])

    def _apply(self, track, params_path, similarity):
        """Read the parameter file and set its values on ``track``, as one undo step."""
        try:
            with open(params_path, encoding="utf-8") as handle:
                rows = json.load(handle)["parameters"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return self._say("cannot read the parameter file %s (%s)" % (params_path, exc))
        song = self.song()
        song.begin_undo_step()
        try:
            done, problems = apply.apply_rows(track, rows, self._config.FIRST_DEVICE)
        finally:
            song.end_undo_step()
        for problem in problems:
            self._c.log_message("stito: not set as found: " + problem)
        news = "set %d of %d parameters on %s" % (done, len(rows), track.name)
        if similarity is not None:
            news += " (similarity %.3f)" % similarity
        self._say(news + ("; %d problems in Log.txt" % len(problems) if problems else ""))

    # -- helpers ---------------------------------------------------------------------------------------
    def _notes(self):
        return [n for n in (self._config.MATCH_NOTE, self._config.APPLY_NOTE) if n is not None]

    def _say(self, text):
        self._c.show_message("stito: " + text)
        self._c.log_message("stito: " + text)

    def _end(self, text):
        self._job = None
        self._say(text)

    def _guarded(self, work):
        """Run ``work``; a bug says so in one line instead of breaking the Control Surface."""
        if work is None:
            return
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - Live must keep its surface whatever goes wrong here
            self._job = None
            self._say("internal error: %s: %s" % (type(exc).__name__, exc))

    def _track_of(self, clip):
        """The track holding ``clip`` (session slot or arrangement), else the selected track."""
        tracks, holder = list(self.song().tracks), clip.canonical_parent
        while holder is not None and holder not in tracks:
            holder = getattr(holder, "canonical_parent", None)
        return holder if holder is not None else self.song().view.selected_track

    def _reference(self, clip):
        """The file of an audio clip named "stito:ref" (not ``clip``), else settings.REFERENCE, else None."""
        for track in self.song().tracks:
            session = [slot.clip for slot in track.clip_slots if slot.has_clip]
            for other in session + list(getattr(track, "arrangement_clips", [])):
                if other != clip and other.is_audio_clip and REFERENCE_MARK in other.name.lower():
                    return other.file_path
        path = self._config.REFERENCE
        return path if path and os.path.isfile(path) else None

    def _token(self):
        """The daemon's token from TOKEN_FILE ("" without one), or False after saying why it is unreadable."""
        if not self._config.TOKEN_FILE:
            return ""
        try:
            with open(self._config.TOKEN_FILE, encoding="utf-8") as handle:
                return handle.readline().strip()
        except OSError as exc:
            self._say("cannot read TOKEN_FILE %s (%s)" % (self._config.TOKEN_FILE, exc))
            return False

    def _send(self, address, *args):
        if self._sock is None:
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            local = self._config.HOST in ("127.0.0.1", "localhost")
            self._sock.bind(("127.0.0.1" if local else "0.0.0.0", 0))
            self._sock.setblocking(False)
        self._sock.sendto(osc.encode(address, *args), (self._config.HOST, self._config.PORT))

    def _receive(self):
        """Every reply waiting now, decoded; malformed packets are skipped."""
        replies = []
        while self._sock is not None:
            try:
                data = self._sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break  # e.g. Windows' "connection reset" after an unanswered send
            try:
                replies.append(osc.decode(data))
            except ValueError:
                continue
        return replies
