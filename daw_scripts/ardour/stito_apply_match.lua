ardour {
	["type"]    = "EditorAction",
	name        = "stito: Apply Match",
	license     = "Apache-2.0",
	author      = "stito",
	description = [[Applies a stito parameter file (.json) to a track's plugins with Ardour's own Lua API:
no OSC surface and no strip numbers needed. The file's first effect goes to the track's plugin
number "first plugin", the next effect to the next plugin; parameters are found by name.
The dialog offers the last match. At an amount other than 1 (0 untouched, 1 as found, up to 1.5) the
stito daemon first renders the match at that amount onto its input (/stito/apply, no new search:
seconds) and the scaled settings are applied; every parameter moves from its neutral value toward the
found one in its own scale.]]
}

function factory () return function ()

	local STATE_FILE = "stito-last-job.txt" -- written by "stito: Match Region to Reference" in <session>/export
	-- where `stito serve` listens, and its server.token (as in "stito: Match Region to Reference")
	local DAEMON_URL = os.getenv ("STITO_DAEMON_URL") or "osc.udp://127.0.0.1:9700"
	local TOKEN = os.getenv ("STITO_TOKEN") or ""
	local WAIT_S = 120 -- how long to wait for the daemon's render at another amount, seconds

	---------------------------------------------------------------------------------------------
	-- a small JSON decoder (Ardour has none); the same as daw_scripts/reaper/stito_json.lua
	---------------------------------------------------------------------------------------------
	local NULL = {}
	local ESCAPES = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
	local LITERALS = { { "true", true }, { "false", false }, { "null", NULL },
		{ "NaN", 0 / 0 }, { "Infinity", math.huge }, { "-Infinity", -math.huge } }
	local decode_value

	local function fail (text, pos, what)
		error (string.format ("JSON: %s at character %d near %q", what, pos, text:sub (pos, pos + 10)), 0)
	end

	local function skip_space (text, pos)
		return text:find ("[^ \t\r\n]", pos) or #text + 1
	end

	local function decode_string (text, pos)
		local out, i = {}, pos + 1
		while true do
			local stop = text:find ('["\\]', i)
			if not stop then fail (text, pos, "unterminated string") end
			out[#out + 1] = text:sub (i, stop - 1)
			if text:sub (stop, stop) == '"' then return table.concat (out), stop + 1 end
			local kind = text:sub (stop + 1, stop + 1)
			if kind == "u" then
				local hex = text:match ("^%x%x%x%x", stop + 2) or fail (text, stop, "bad \\u escape")
				local code = tonumber (hex, 16)
				i = stop + 6
				local low = code >= 0xD800 and code <= 0xDBFF and text:match ("^\\u(%x%x%x%x)", i)
				if low then
					code = 0x10000 + (code - 0xD800) * 0x400 + (tonumber (low, 16) - 0xDC00)
					i = i + 6
				end
				out[#out + 1] = utf8.char (code)
			elseif ESCAPES[kind] then
				out[#out + 1] = ESCAPES[kind]
				i = stop + 2
			else
				fail (text, stop, "bad escape")
			end
		end
	end

	local function decode_items (text, pos, close, read_item)
		pos = skip_space (text, pos + 1)
		if text:sub (pos, pos) == close then return pos + 1 end
		while true do
			pos = skip_space (text, read_item (pos))
			local char = text:sub (pos, pos)
			if char == close then return pos + 1 end
			if char ~= "," then fail (text, pos, "expected ',' or '" .. close .. "'") end
			pos = skip_space (text, pos + 1)
		end
	end

	decode_value = function (text, pos)
		local char = text:sub (pos, pos)
		if char == "{" then
			local object = {}
			return object, decode_items (text, pos, "}", function (at)
				if text:sub (at, at) ~= '"' then fail (text, at, "expected a key") end
				local key, after = decode_string (text, at)
				after = skip_space (text, after)
				if text:sub (after, after) ~= ":" then fail (text, after, "expected ':'") end
				local value
				value, after = decode_value (text, skip_space (text, after + 1))
				object[key] = value
				return after
			end)
		elseif char == "[" then
			local array = {}
			return array, decode_items (text, pos, "]", function (at)
				local value, after = decode_value (text, at)
				array[#array + 1] = value
				return after
			end)
		elseif char == '"' then
			return decode_string (text, pos)
		end
		for _, literal in ipairs (LITERALS) do
			if text:sub (pos, pos + #literal[1] - 1) == literal[1] then return literal[2], pos + #literal[1] end
		end
		local number = text:match ("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
		if number and tonumber (number) then return tonumber (number), pos + #number end
		fail (text, pos, "unexpected character")
	end

	local function decode_json (text)
		local value, pos = decode_value (text, skip_space (text, 1))
		if skip_space (text, pos) <= #text then fail (text, pos, "trailing characters") end
		return value
	end

	-- lets tests/daw run the decoder under plain Lua: `STITO_SELFTEST = true; factory ()()` returns it
	if STITO_SELFTEST then return decode_json end

	---------------------------------------------------------------------------------------------
	-- parameter names: stito's ids are the plugin's labels in snake_case, with the unit at the end
	---------------------------------------------------------------------------------------------
	local UNIT_SUFFIX = { dB = "db", Hz = "hz", kHz = "khz", ms = "ms", s = "s", ["%"] = "pct" }

	local function snake (text)
		text = text:gsub ("dB", "db"):gsub ("kHz", "khz") -- units stay one word
		text = text:gsub ("(%l)(%u)", "%1_%2")            -- camelCase -> camel_case
		text = text:lower ():gsub ("%%", " pct "):gsub ("[^%w]+", "_")
		return (text:gsub ("^_+", ""):gsub ("_+$", ""))
	end

	local function same_parameter (label, row)
		local name = snake (label)
		local suffix = UNIT_SUFFIX[row.unit or ""]
		return name == row.name or (suffix ~= nil and name .. "_" .. suffix == row.name)
	end

	-- 0-based control index (LuaAPI.set_processor_param numbering) of `row` on `proc`, or nil.
	local function find_param (proc, row)
		local plugin = proc:to_plugininsert ():plugin (0) -- to_insert is deprecated from Ardour 9
		for n = 0, plugin:parameter_count () - 1 do
			local port = plugin:nth_parameter (n, true)
			if plugin:parameter_is_input (port) and same_parameter (plugin:parameter_label (port), row) then
				return n
			end
		end
		return nil
	end

	-- Sets every row on `track`: the file's n-th effect on plugin first_plugin + n - 1.
	local function apply (track, rows, first_plugin)
		local slots, count, set, problems = {}, 0, 0, {}
		for _, row in ipairs (rows) do
			if not slots[row.effect] then
				slots[row.effect] = first_plugin + count
				count = count + 1
			end
			local where = row.effect .. "." .. row.name
			local proc = track:nth_plugin (slots[row.effect] - 1)
			local n = (not proc:isnil ()) and find_param (proc, row) or nil
			if proc:isnil () then
				problems[#problems + 1] = where .. ": the track has no plugin " .. slots[row.effect]
			elseif not n then
				problems[#problems + 1] = where .. ": plugin " .. slots[row.effect] .. " (" .. proc:display_name () .. ") has no such parameter"
			elseif ARDOUR.LuaAPI.set_processor_param (proc, n, row.value) then
				set = set + 1
			else
				problems[#problems + 1] = where .. ": " .. row.value .. " is outside the plugin's range"
			end
		end
		return set, problems
	end

	---------------------------------------------------------------------------------------------
	-- what to apply, and where
	---------------------------------------------------------------------------------------------
	local function read_text (path)
		local handle = path and io.open (path, "rb")
		if not handle then return nil end
		local text = handle:read ("a")
		handle:close ()
		return text
	end

	local function read_state ()
		local state = {}
		for key, value in (read_text (ARDOUR.LuaAPI.build_filename (Session:path (), "export", STATE_FILE)) or ""):gmatch ("([%w_]+)=([^\n]*)") do
			state[key] = value
		end
		return state
	end

	-- The daemon writes <input stem>.matched.json beside the input, or .matched-<job>.json when taken.
	local function expected_params (state)
		if not state.input then return nil end
		local stem = state.input:gsub ("%.[^./\\]*$", "")
		for _, candidate in ipairs ({ stem .. ".matched-" .. (state.job or "") .. ".json", stem .. ".matched.json" }) do
			if read_text (candidate) then return candidate end
		end
		return stem .. ".matched.json"
	end

	-- The match at `amount`, rendered by the daemon onto the input it was made for (/stito/apply, profile
	-- "none": this script sets the values): the path and text of the parameter file it writes beside that
	-- input (<stem>.applied.json, or .applied-<job>.json when taken), or nil and why not.
	local function applied_at (params, data, amount)
		if type (data.input) ~= "string" or not read_text (data.input) then
			return nil, params .. ": its input (key 'input') cannot be read, so it cannot be rendered at another amount"
		end
		local job = "ardour-apply-" .. os.date ("%Y%m%d-%H%M%S")
		local stem = data.input:gsub ("%.[^./\\]*$", "")
		local candidates = { stem .. ".applied-" .. job .. ".json" }
		if not read_text (stem .. ".applied.json") then table.insert (candidates, 1, stem .. ".applied.json") end
		local args = { params, data.input, string.format ("%.6g", amount), job, "none" }
		if TOKEN ~= "" then table.insert (args, 1, TOKEN) end
		ARDOUR.LuaOSC.Address (DAEMON_URL):send ("/stito/apply", string.rep ("s", #args), table.unpack (args))
		for _ = 1, WAIT_S * 10 do
			for _, path in ipairs (candidates) do
				local text = read_text (path)
				if text then return path, text end
			end
			ARDOUR.LuaAPI.usleep (100000)
		end
		return nil, string.format ("no result from the stito daemon at %s after %d s (job %s): is `stito serve` "
			.. "running, and may it read %s? See its log.", DAEMON_URL, WAIT_S, job, params)
	end

	local function fail (text)
		LuaDialog.Message ("stito", text, LuaDialog.MessageType.Error, LuaDialog.ButtonType.Close):run ()
	end

	-- The parameter file's rows, or nil and why not.
	local function parameters (path, text)
		local ok, data = pcall (decode_json, text or "")
		if not text or not ok or type (data) ~= "table" or type (data.parameters) ~= "table" then
			return nil, "Cannot use " .. tostring (path) .. ": " .. tostring (text and data or "unreadable")
		end
		return data
	end

	local state = read_state ()
	local tracks, names, default_track = {}, {}, nil
	for route in Session:get_tracks ():iter () do
		tracks[route:name ()] = route:to_track ()
		names[#names + 1] = route:name ()
		if route:name () == state.track then default_track = route:name () end
	end
	if #names == 0 then
		LuaDialog.Message ("stito", "The session has no tracks.", LuaDialog.MessageType.Warning, LuaDialog.ButtonType.Close):run ()
		return
	end
	local choices = {}
	for _, name in ipairs (names) do choices[name] = name end

	local answers = LuaDialog.Dialog ("stito: apply match", {
		{ type = "file", key = "params", title = "Parameter file (.json)", path = expected_params (state) or Session:path () },
		{ type = "dropdown", key = "track", title = "Track", values = choices, default = default_track or names[1] },
		{ type = "number", key = "first_plugin", title = "Chain's first plugin on the track", min = 1, max = 64, step = 1, digits = 0,
		  default = tonumber (state.first_plugin) or 1 },
		{ type = "number", key = "amount", title = "Amount (0 untouched, 1 as found)", min = 0, max = 1.5, step = 0.05,
		  digits = 2, default = 1 },
	}):run ()
	if not answers then return end

	local data, why = parameters (answers.params, read_text (answers.params))
	if not data then return fail (why) end
	local amount, scaled = tonumber (answers.amount) or 1, ""
	if amount ~= 1 then
		local path, text = applied_at (answers.params, data, amount)
		if not path then return fail (text) end
		data, why = parameters (path, text)
		if not data then return fail (why) end
		scaled = string.format (" (the match at amount %.6g, %s)", amount, path)
	end
	local set, problems = apply (tracks[answers.track], data.parameters, math.floor (answers.first_plugin))
	local report = string.format ("Set %d of %d parameters on %s%s.", set, #data.parameters, answers.track, scaled)
	if #problems > 0 then report = report .. "\n\nNot set:\n" .. table.concat (problems, "\n") end
	print (report)
	LuaDialog.Message ("stito", report, LuaDialog.MessageType.Info, LuaDialog.ButtonType.Close):run ()
end end
