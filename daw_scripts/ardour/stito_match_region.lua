ardour {
	["type"]    = "EditorAction",
	name        = "stito: Match Region to Reference",
	license     = "Apache-2.0",
	author      = "stito",
	description = [[Sends the selected audio region and a reference file to the stito daemon
(`stito serve`, OSC on 127.0.0.1:9700). The daemon searches the chain's parameters and pushes them
back to this track's plugins through Ardour's OSC surface (DAW profile "ardour").
The dialog's "match only" takes some attribute groups (tone, dynamics, space, width; e.g. "space" to
take only the room of the reference, the EQ and compressor then stay neutral), and "amount" how far
toward the found settings (0 untouched, 1 as found, up to 1.5).
Needs: stito serve running; Preferences > Control Surfaces > Open Sound Control enabled (port 3819).]]
}

-- Everything lives inside factory(): Ardour keeps only the returned function of an action script,
-- so helpers defined outside it would be lost.
function factory () return function ()

	---------------------------------------------------------------------------------------------
	-- settings (edit here, or in the dialog each time)
	---------------------------------------------------------------------------------------------
	-- where `stito serve` listens (the environment variable STITO_DAEMON_URL, when Ardour has it, wins)
	local DAEMON_URL = os.getenv ("STITO_DAEMON_URL") or "osc.udp://127.0.0.1:9700"
	-- the daemon's server.token, when it has one: from the environment variable STITO_TOKEN
	local TOKEN = os.getenv ("STITO_TOKEN") or ""
	local DEFAULT_CHAIN = "ardour-zam"           -- a chain mirroring this track's plugins
	local DEFAULT_PROFILE = "ardour"             -- DAW profile the daemon pushes through ("none": no push)
	local STATE_FILE = "stito-last-job.txt"      -- in <session>/export/, read by "stito: Apply Match"
	-- the attribute groups the daemon's default metric can count alone
	local GROUPS = { tone = true, dynamics = true, space = true, width = true }

	-- Files of this script live in the session's export folder (every session has one).
	local function session_file (name)
		return ARDOUR.LuaAPI.build_filename (Session:path (), "export", name)
	end

	local function message (text, kind)
		LuaDialog.Message ("stito", text, kind or LuaDialog.MessageType.Info, LuaDialog.ButtonType.Close):run ()
	end

	-- Reads the first line of a text file, or nil.
	local function read_line (path)
		local handle = io.open (path, "r")
		if not handle then return nil end
		local line = handle:read ("l")
		handle:close ()
		return line
	end

	-- Remembered values of the last run: key=value lines in <session>/export/stito-last-job.txt.
	local function read_state ()
		local state = {}
		local handle = io.open (session_file (STATE_FILE), "r")
		if handle then
			for line in handle:lines () do
				local key, value = line:match ("^([%w_]+)=(.*)$")
				if key then state[key] = value end
			end
			handle:close ()
		end
		return state
	end

	local function write_state (state)
		local handle = assert (io.open (session_file (STATE_FILE), "w"))
		for _, key in ipairs ({"job", "input", "reference", "chain", "profile", "track", "first_plugin", "strip",
				"amount", "match"}) do
			handle:write (key, "=", tostring (state[key] or ""), "\n")
		end
		handle:close ()
	end

	-- The first selected audio region and the track it is on.
	local function selected_region ()
		for region in Editor:get_selection ().regions:regionlist ():iter () do
			local audio = region:to_audioregion ()
			if not audio:isnil () then
				for route in Session:get_tracks ():iter () do
					local track = route:to_track ()
					if not track:playlist ():region_by_id (region:to_stateful ():id ()):isnil () then
						return region, audio, track
					end
				end
			end
		end
		return nil
	end

	-- 32-bit float WAV header (WAVE_FORMAT_IEEE_FLOAT with its fact chunk).
	local function wav_header (channels, rate, frames)
		local data_bytes = frames * channels * 4
		return "RIFF" .. string.pack ("<I4", 4 + 26 + 12 + 8 + data_bytes) .. "WAVE"
			.. "fmt " .. string.pack ("<I4I2I2I4I4I2I2I2", 18, 3, channels, rate, rate * channels * 4, channels * 4, 32, 0)
			.. "fact" .. string.pack ("<I4I4", 4, frames)
			.. "data" .. string.pack ("<I4", data_bytes)
	end

	-- Writes the region (its trimmed range, every channel, times its region gain) to a float WAV; returns
	-- frames. The read is raw: an active gain envelope and the fades are not in it (the caller says so).
	local function write_region_wav (audio, path)
		local readable = audio:to_readable ()
		local frames, channels = readable:readable_length (), readable:n_channels ()
		local gain = audio:scale_amplitude ()
		local block = 2048
		local buffers = {}
		for c = 1, channels do buffers[c] = ARDOUR.DSP.DspShm (block) end
		local handle = assert (io.open (path, "wb"))
		handle:write (wav_header (channels, Session:nominal_sample_rate (), frames))
		local position = 0
		while position < frames do
			local count = math.min (block, frames - position)
			local samples = {}
			for c = 1, channels do
				readable:read (buffers[c]:to_float (0), position, count, c - 1)
				samples[c] = buffers[c]:to_float (0):array ()
			end
			local interleaved = {}
			for i = 1, count do
				for c = 1, channels do interleaved[#interleaved + 1] = samples[c][i] * gain end
			end
			handle:write (string.pack ("<" .. string.rep ("f", #interleaved), table.unpack (interleaved)))
			position = position + count
		end
		handle:close ()
		return frames
	end

	-- The file stito reads: the region trimmed, with all channels (Ardour keeps a stereo region as one mono
	-- file per channel) and its region gain, written to <session>/export/stito-<region>.wav. The daemon
	-- writes its results beside it.
	local function input_file (audio)
		local name = audio:name ():gsub ("[^%w%-_.]", "_")
		local path = session_file ("stito-" .. name .. ".wav")
		write_region_wav (audio, path)
		return path
	end

	-- "space, width" -> "space,width", or nil and the unknown group.
	local function checked_groups (text)
		local chosen = {}
		for group in (text or ""):gmatch ("[^,%s]+") do
			if not GROUPS[group] then return nil, group end
			chosen[#chosen + 1] = group
		end
		return table.concat (chosen, ",")
	end

	-- The strip number Ardour's OSC surface gives the track with its default strip types (31: audio and MIDI
	-- tracks, audio and MIDI busses, VCAs; no master, monitor, foldback busses or hidden strips), numbered
	-- from 1 in presentation order, as osc.cc's get_sorted_stripables does.
	local FOLDBACK_BUS = 0x2000 -- PresentationInfo::FoldbackBus, which Ardour's Lua does not name
	local function osc_strip (track)
		local orders, mine = {}, track:presentation_info_ptr ():order ()
		for stripable in Session:get_stripables ():iter () do
			local info = stripable:presentation_info_ptr ()
			if not (stripable:is_master () or stripable:is_monitor () or stripable:is_hidden ()
					or (info:flags () & FOLDBACK_BUS) ~= 0) then
				orders[#orders + 1] = info:order ()
			end
		end
		table.sort (orders)
		for i, order in ipairs (orders) do
			if order == mine then return i end
		end
		return nil
	end

	---------------------------------------------------------------------------------------------
	-- the action
	---------------------------------------------------------------------------------------------
	local region, audio, track = selected_region ()
	if not region then
		message ("Select an audio region first.", LuaDialog.MessageType.Warning)
		return
	end
	local last = read_state ()

	local answers = LuaDialog.Dialog ("stito: match region to reference", {
		{ type = "file", key = "reference", title = "Reference audio", path = last.reference or Session:path () },
		{ type = "entry", key = "chain", title = "Chain (mirrors this track)", default = last.chain or DEFAULT_CHAIN },
		{ type = "entry", key = "profile", title = "DAW profile", default = last.profile or DEFAULT_PROFILE },
		{ type = "number", key = "first_plugin", title = "Chain's first plugin on the strip", min = 1, max = 64, step = 1, digits = 0,
		  default = tonumber (last.first_plugin) or 1 },
		{ type = "entry", key = "match", title = "Match only (tone, dynamics, space, width; empty: all)",
		  default = last.match or "" },
		{ type = "number", key = "amount", title = "Amount (0 untouched, 1 as found)", min = 0, max = 1.5, step = 0.05,
		  digits = 2, default = tonumber (last.amount) or 1 },
	}):run ()
	if not answers then return end -- cancelled
	if not answers.reference or answers.reference == "" or not read_line (answers.reference) then
		message ("Choose a reference audio file.", LuaDialog.MessageType.Warning)
		return
	end
	local groups, unknown = checked_groups (answers.match)
	if not groups then
		message ("Unknown attribute '" .. unknown .. "': choose from tone, dynamics, space, width.",
			LuaDialog.MessageType.Warning)
		return
	end
	local amount = string.format ("%.6g", tonumber (answers.amount) or 1)

	local input = input_file (audio)
	local job = "ardour-" .. os.date ("%Y%m%d-%H%M%S")
	-- /stito/match [token] input reference chain job profile amount groups; send() reports false even when
	-- it worked
	local args = { input, answers.reference, answers.chain, job, answers.profile, amount, groups }
	if TOKEN ~= "" then table.insert (args, 1, TOKEN) end
	ARDOUR.LuaOSC.Address (DAEMON_URL):send ("/stito/match", string.rep ("s", #args), table.unpack (args))

	local strip = osc_strip (track)
	write_state ({ job = job, input = input, reference = answers.reference, chain = answers.chain,
		profile = answers.profile, track = track:name (), first_plugin = math.floor (answers.first_plugin), strip = strip,
		amount = amount, match = groups })
	local note = ""
	if audio:envelope_active () then
		note = "\n\nThe region's gain envelope is not in the file stito matches (Ardour's Lua reads regions raw: "
			.. "region gain yes, envelope and fades no); bounce the region first if the envelope matters."
	end
	if answers.profile ~= "none" and strip ~= 1 then
		note = note .. string.format ("\n\nThis track is OSC strip %s, but the shipped \"ardour\" profile pushes to strip 1: "
			.. "put the track first, copy the profile with track = %s (see daw_scripts/README.md), "
			.. "or use \"stito: Apply Match\" when the job is done.", tostring (strip), tostring (strip))
	end
	local only = groups ~= "" and (", only " .. groups) or ""
	message (string.format ("Sent job %s to %s:\n%s -> %s (chain %s, amount %s%s).\nThe daemon pushes the found settings when it is done "
		.. "(watch its log).%s", job, DAEMON_URL, input, answers.reference, answers.chain, amount, only, note))
end end
