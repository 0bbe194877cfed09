-- Shared code of the stito ReaScripts (loaded with dofile by each action script).
--
-- Settings are REAPER ExtState values in section "stito" (set them with stito_settings.lua); the
-- defaults are below. The job goes to stito through daw_scripts/stito_send.py, run in the background
-- with reaper.ExecProcess (plain ReaScript cannot send UDP): it asks the daemon over OSC (via = "osc")
-- or runs `stito match` itself (via = "cli"), and writes a status file that these scripts poll.
--
-- The found parameters reach the plugins either through this script (apply = "script": REAPER's FX
-- API, TrackFX_SetParam, no OSC surface needed) or through the daemon's "reaper" DAW profile
-- (apply = "osc": REAPER's OSC control surface, see daw_scripts/README.md).

local stito = {}

local SECTION = "stito"
--- Folder of this file (and of the other stito scripts), with a trailing separator.
local HERE = debug.getinfo(1, "S").source:sub(2):match("^(.*[/\\])") or "./"

stito.DEFAULTS = {
  chain = "zam",            -- chain name in config/chains, or a chain TOML path
  via = "osc",              -- osc: ask `stito serve`; cli: run `stito match` (no daemon needed)
  apply = "script",         -- script: this script sets the FX; osc: the daemon pushes ("reaper" profile)
  python = package.config:sub(1, 1) == "\\" and "py" or "python3",
  sender = "",              -- path of stito_send.py; empty = ../stito_send.py beside these scripts
  stito = "stito",          -- the stito command (via = "cli")
  host = "127.0.0.1",       -- where `stito serve` listens
  port = "9700",
  token_file = "",          -- file whose first line is the daemon's server.token (empty: no token)
  match = "",               -- attribute groups "match selected item" counts, e.g. "space,width" (empty: all)
  first_fx = "1",           -- FX slot (1-based) of the chain's first effect on the track
  timeout_s = "1800",       -- give up waiting for a job after this long
}

--- Folder of the stito scripts, with a trailing separator.
function stito.script_dir()
  return HERE
end

--- A setting: the ExtState value when set, else the default.
function stito.setting(key)
  if reaper.HasExtState(SECTION, key) then
    local value = reaper.GetExtState(SECTION, key)
    if value ~= "" then return value end
  end
  return stito.DEFAULTS[key]
end

--- Writes text to REAPER's console (View > ReaScript console output).
function stito.log(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  reaper.ShowConsoleMsg("stito: " .. table.concat(parts, " ") .. "\n")
end

function stito.file_exists(path)
  local handle = path and path ~= "" and io.open(path, "rb")
  if handle then handle:close() return true end
  return false
end

function stito.read_file(path)
  local handle = io.open(path, "rb")
  if not handle then return nil end
  local text = handle:read("a")
  handle:close()
  return text
end

-- Path helpers ------------------------------------------------------------------------------------

local SEP = package.config:sub(1, 1)

function stito.join(...)
  return table.concat({ ... }, SEP)
end

function stito.stem(path)
  local name = path:match("([^/\\]+)$") or path
  return name:match("^(.*)%.[^.]+$") or name
end

--- Folder of the current project (where the .rpp is), or REAPER's project media path.
function stito.project_dir()
  local _, project_file = reaper.EnumProjects(-1)
  local folder = project_file and project_file:match("^(.*)[/\\][^/\\]+$")
  return folder or reaper.GetProjectPath("")
end

--- <project>/stito, created when missing.
function stito.work_dir()
  local folder = stito.join(stito.project_dir(), "stito")
  reaper.RecursiveCreateDirectory(folder, 0)
  return folder
end

-- Project-scoped memory (saved in the .rpp) -----------------------------------------------------

function stito.remember(key, value)
  reaper.SetProjExtState(0, SECTION, key, value or "")
end

function stito.recall(key)
  local _, value = reaper.GetProjExtState(0, SECTION, key)
  return value ~= "" and value or nil
end

-- Items and the reference -------------------------------------------------------------------------

--- The source file of an item's active take (nil for MIDI or empty items).
function stito.item_file(item)
  local take = item and reaper.GetActiveTake(item)
  if not take or reaper.TakeIsMIDI(take) then return nil end
  local source = reaper.GetMediaItemTake_Source(take)
  local parent = reaper.GetMediaSourceParent(source) -- section/reversed items wrap their file
  local file = reaper.GetMediaSourceFileName(parent or source, "")
  return file ~= "" and file or nil
end

--- True when the item is marked as the reference: "stito:ref" in its take name or item notes.
function stito.is_reference_item(item)
  local take = reaper.GetActiveTake(item)
  local name = take and reaper.GetTakeName(take) or ""
  local _, notes = reaper.GetSetMediaItemInfo_String(item, "P_NOTES", "", false)
  return (name .. "\n" .. notes):lower():find("stito:ref", 1, true) ~= nil
end

local function marked_reference(except)
  for i = 0, reaper.CountMediaItems(0) - 1 do
    local item = reaper.GetMediaItem(0, i)
    if item ~= except and stito.is_reference_item(item) then
      local file = stito.item_file(item)
      if file then return file, "the item marked stito:ref" end
    end
  end
  return nil
end

local function project_reference()
  local remembered = stito.recall("reference")
  if stito.file_exists(remembered) then return remembered, "the project's reference" end
  for _, ext in ipairs({ "wav", "flac", "aif", "aiff", "ogg", "mp3" }) do
    local candidate = stito.join(stito.project_dir(), "reference." .. ext)
    if stito.file_exists(candidate) then return candidate, "reference." .. ext .. " in the project folder" end
  end
  return nil
end

--- Asks for a reference file and remembers it in the project; nil when cancelled.
function stito.choose_reference()
  local ok, file = reaper.GetUserFileNameForRead(stito.recall("reference") or "", "stito: choose the reference", "")
  if not ok or file == "" then return nil end
  stito.remember("reference", file)
  return file
end

--- The reference for a match of `item`: a marked item, then the project's, then a file chooser.
function stito.find_reference(item)
  local file, why = marked_reference(item)
  if not file then file, why = project_reference() end
  if not file then file, why = stito.choose_reference(), "the file you chose" end
  return file, why
end

-- Running the job -----------------------------------------------------------------------------------

local function quote(arg)
  return '"' .. tostring(arg):gsub('"', '\\"') .. '"'
end

--- The command line that runs stito_send.py for one job (see `python3 stito_send.py --help`).
function stito.sender_command(job)
  local sender = stito.setting("sender")
  if sender == "" then sender = stito.script_dir() .. ".." .. SEP .. "stito_send.py" end
  -- a match searches job.reference's style; an apply job renders the saved match job.match at job.amount
  local what = job.match and { "apply", job.match, job.input, "--amount", tostring(job.amount) }
    or { "match", job.input, job.reference, "--chain", job.chain }
  if not job.match and job.groups and job.groups ~= "" then
    what[#what + 1], what[#what + 2] = "--match", job.groups -- only these attribute groups count
  end
  local args = { stito.setting("python"), sender, table.unpack(what) }
  for _, arg in ipairs({ "--job", job.id, "--status", job.status, "--via", stito.setting("via"),
    "--host", stito.setting("host"), "--port", stito.setting("port"), "--stito", stito.setting("stito"),
    "--out-dir", job.out_dir, "--profile", job.profile, "--timeout", stito.setting("timeout_s") }) do
    args[#args + 1] = arg
  end
  if stito.setting("token_file") ~= "" then
    args[#args + 1] = "--token-file"
    args[#args + 1] = stito.setting("token_file")
  end
  local quoted = {}
  for i, arg in ipairs(args) do quoted[i] = quote(arg) end
  return table.concat(quoted, " ")
end

--- Seconds the helper (stito_send.py) has to write its first status line before it counts as not started.
stito.START_S = 20

--- Starts a job in the background. `on_done(status)` runs when it ended (status.state "done" or "error").
function stito.run_job(job, on_done)
  local command = stito.sender_command(job)
  os.remove(job.status)
  stito.log("running", command)
  -- -1: do not wait; the status file tells how it goes. nil: the command could not be started at all.
  if not reaper.ExecProcess(command, -1) then
    return on_done({ state = "error", message = "could not start the helper: " .. command
      .. " (is the python setting right? see stito_settings.lua)" })
  end
  stito.watch_status(job, on_done, command)
end

--- key=value lines of a status file, or nil while it does not exist.
function stito.read_status(path)
  local text = stito.read_file(path)
  if not text then return nil end
  local status = {}
  for key, value in text:gmatch("([%w_]+)=([^\n]*)") do status[key] = value end
  return status
end

--- Polls the job's status file with reaper.defer (REAPER stays responsive) until it ends; a helper
--- (`command`) that writes no status within START_S seconds did not start (no Python, a wrong path).
function stito.watch_status(job, on_done, command)
  local started, last_note = reaper.time_precise(), ""
  local limit = tonumber(stito.setting("timeout_s")) + 30
  local function poll()
    local status = stito.read_status(job.status)
    if status and (status.state == "done" or status.state == "error") then
      return on_done(status)
    end
    if not status and reaper.time_precise() - started > stito.START_S then
      return on_done({ state = "error", message = string.format("the helper wrote nothing in %d s, so it did "
        .. "not start: is the python setting (%s) a working Python 3? Ran: %s", stito.START_S,
        stito.setting("python"), command or "?") })
    end
    local note = status and string.format("%s %s %s", status.state or "", status.iteration or "", status.best or "") or ""
    if note ~= last_note then stito.log(job.id, note) last_note = note end
    if reaper.time_precise() - started > limit then
      return on_done({ state = "error", message = "no result after " .. math.floor(limit) .. " s; see " .. job.status })
    end
    reaper.defer(poll)
  end
  reaper.defer(poll)
end

-- Applying a parameter file with REAPER's FX API -------------------------------------------------------

--- A parameter name as stito writes it: lower-case words joined by "_" ("Boost/Cut 1" -> "boost_cut_1").
function stito.snake(text)
  text = text:gsub("dB", "db"):gsub("kHz", "khz") -- units stay one word
  text = text:gsub("(%l)(%u)", "%1_%2")            -- camelCase -> camel_case
  text = text:lower():gsub("%%", " pct "):gsub("[^%w]+", "_")
  return (text:gsub("^_+", ""):gsub("_+$", ""))
end

local UNIT_SUFFIX = { dB = "db", Hz = "hz", kHz = "khz", ms = "ms", s = "s", ["%"] = "pct" }

--- True when REAPER's parameter name `fx_name` is stito's parameter `row` (name with or without its unit).
function stito.same_parameter(fx_name, row)
  local name = stito.snake(fx_name)
  if name == row.name then return true end
  local suffix = UNIT_SUFFIX[row.unit or ""]
  return suffix ~= nil and name .. "_" .. suffix == row.name
end

--- 0-based index of `row`'s parameter on FX `fx` of `track`, or nil.
function stito.find_param(track, fx, row)
  for param = 0, reaper.TrackFX_GetNumParams(track, fx) - 1 do
    local _, name = reaper.TrackFX_GetParamName(track, fx, param, "")
    if stito.same_parameter(name, row) then return param end
  end
  return nil
end

--- The number a formatted value shows ("-20.0 dB" -> -20, "2.5 kHz" -> 2500 for Hz), or nil.
function stito.parse_shown(text, unit)
  local number = tonumber(text:match("[-+]?%d*%.?%d+[eE]?[-+]?%d*") or "")
  if number and unit == "Hz" and text:lower():find("%d%s*k") then number = number * 1000 end
  return number
end

--- The value the plugin displays at normalised position `x`, without moving its control
--- (TrackFX_FormatParamValueNormalized), or nil where the plugin cannot format a position it is not at
--- (that needs Cockos' VST extensions).
local function formatted_at(track, fx, param, x, unit)
  if not reaper.TrackFX_FormatParamValueNormalized then return nil end
  local ok, text = reaper.TrackFX_FormatParamValueNormalized(track, fx, param, x, "")
  return ok and text ~= "" and stito.parse_shown(text, unit) or nil
end

--- The value a control displays at `x` when it is moved there (TrackFX_GetFormattedParamValue).
local function moved_to(track, fx, param, x, unit)
  reaper.TrackFX_SetParamNormalized(track, fx, param, x)
  local _, text = reaper.TrackFX_GetFormattedParamValue(track, fx, param, "")
  return stito.parse_shown(text, unit)
end

--- The normalised 0-1 position whose displayed value is `target`, by bisection of `shown_at(x)` (nil if
--- out of reach).
local function bisect(shown_at, target)
  local lo, hi = 0.0, 1.0
  local at_lo, at_hi = shown_at(lo), shown_at(hi)
  if not at_lo or not at_hi or at_lo == at_hi then return nil end
  local rising = at_hi > at_lo
  local low_end, high_end = math.min(at_lo, at_hi), math.max(at_lo, at_hi)
  if target < low_end - 1e-9 * math.abs(low_end) or target > high_end + 1e-9 * math.abs(high_end) then return nil end
  for _ = 1, 40 do
    local mid = (lo + hi) / 2
    local shown = shown_at(mid)
    if not shown then return nil end
    if (shown < target) == rising then lo = mid else hi = mid end
  end
  return (lo + hi) / 2
end

--- The normalised 0-1 position of the FX's parameter whose displayed value is `target` (nil if out of
--- reach). The user's control never moves: a plugin that cannot format other positions is swept on a
--- copy of itself on a temporary track (no automation there, removed after), not on the user's track,
--- where every move would be written as automation on an armed track.
function stito.find_normalized(track, fx, param, target, unit)
  if formatted_at(track, fx, param, 0.0, unit) then
    return bisect(function(x) return formatted_at(track, fx, param, x, unit) end, target)
  end
  local index = reaper.CountTracks(0)
  reaper.InsertTrackAtIndex(index, false)
  local scratch = reaper.GetTrack(0, index)
  reaper.TrackFX_CopyToTrack(track, fx, scratch, 0, false)
  local x = bisect(function(at) return moved_to(scratch, 0, param, at, unit) end, target)
  reaper.DeleteTrack(scratch)
  return x
end

--- Sets one parameter to `row.value` (in the row's unit). Returns true, or false and why.
--  Plugins whose REAPER range is their own unit range (JSFX, many VSTs' min/max) take the value as is
--  (TrackFX_SetParam, plugin units); plugins that expose 0-1 get the position whose displayed value
--  equals the value.
function stito.set_param(track, fx, param, row)
  local _, low, high = reaper.TrackFX_GetParam(track, fx, param)
  local plugin_units = not (low == 0 and high == 1) or row.unit == "" and row.value >= 0 and row.value <= 1
  if plugin_units then
    if row.value < low or row.value > high then
      return false, string.format("%g is outside the plugin's %g..%g", row.value, low, high)
    end
    reaper.TrackFX_SetParam(track, fx, param, row.value)
    return true
  end
  local x = stito.find_normalized(track, fx, param, row.value, row.unit)
  if not x then return false, "cannot find " .. row.value .. " " .. row.unit .. " on the plugin's dial" end
  reaper.TrackFX_SetParamNormalized(track, fx, param, x)
  return true
end

--- Applies a decoded parameter file to `track`: the file's n-th effect goes to FX slot first_fx + n - 1.
--  Returns the number of parameters set and a list of problems (strings).
function stito.apply(track, data, first_fx)
  local slots, order, set, problems = {}, 0, 0, {}
  for _, row in ipairs(data.parameters or {}) do
    if not slots[row.effect] then
      slots[row.effect] = first_fx - 1 + order -- 0-based FX index
      order = order + 1
    end
    local fx = slots[row.effect]
    local where = row.effect .. "." .. row.name
    if fx >= reaper.TrackFX_GetCount(track) then
      problems[#problems + 1] = where .. ": no FX in slot " .. (fx + 1)
    else
      local param = stito.find_param(track, fx, row)
      local ok, why = false, "no parameter of that name on FX " .. (fx + 1)
      if param then ok, why = stito.set_param(track, fx, param, row) end
      if ok then set = set + 1 else problems[#problems + 1] = where .. ": " .. why end
    end
  end
  return set, problems
end

--- The track the last match was made for (remembered by its GUID), or nil.
function stito.recalled_track()
  local guid = stito.recall("last_track")
  for i = 0, reaper.CountTracks(0) - 1 do
    local candidate = reaper.GetTrack(0, i)
    if reaper.GetTrackGUID(candidate) == guid then return candidate end
  end
  return nil
end

--- Reads and applies a parameter file; shows the outcome. Returns the number of parameters set.
function stito.apply_file(track, path, first_fx)
  local text = stito.read_file(path)
  if not text then
    reaper.MB("Cannot read " .. tostring(path), "stito", 0)
    return 0
  end
  local json = dofile(stito.script_dir() .. "stito_json.lua")
  local ok, data = pcall(json.decode, text)
  if not ok then
    reaper.MB(path .. ": " .. tostring(data), "stito", 0)
    return 0
  end
  reaper.Undo_BeginBlock()
  local set, problems = stito.apply(track, data, first_fx)
  reaper.Undo_EndBlock("stito: apply match", -1)
  stito.log(string.format("set %d of %d parameters from %s", set, #(data.parameters or {}), path))
  for _, problem in ipairs(problems) do stito.log("  not set: " .. problem) end
  return set
end

--- The DAW profile argument of a job for an item on `track`: "none" when this script sets the FX
--- (apply = "script"), else the "reaper" profile aimed at the item's own track and the FX slot of the
--- chain's first effect (the profile alone would push to track 1, whatever was matched).
function stito.job_profile(track)
  if stito.setting("apply") ~= "osc" then return "none" end
  local number = math.floor(reaper.GetMediaTrackInfo_Value(track, "IP_TRACKNUMBER"))
  return string.format("reaper@track=%d,first_fx=%d", number, tonumber(stito.setting("first_fx")))
end

--- The job for `item`, or nil and why not.
local function make_job(item, groups)
  local input = stito.item_file(item)
  if not input then return nil, "The selected item has no audio file (MIDI or empty item)." end
  local reference, why = stito.find_reference(item)
  if not reference then return nil, "No reference: mark an item with stito:ref, or choose a file." end
  local id = "reaper-" .. os.date("%Y%m%d-%H%M%S")
  local folder = stito.work_dir()
  local apply = stito.setting("apply")
  stito.log(string.format("input %s, reference %s (%s)", input, reference, why))
  return {
    id = id, input = input, reference = reference, chain = stito.setting("chain"),
    status = stito.join(folder, id .. ".status"), out_dir = folder,
    profile = stito.job_profile(reaper.GetMediaItem_Track(item)), apply = apply, groups = groups,
  }
end

--- Warns when the item plays only part of its file: stito matches the whole file.
local function warn_if_trimmed(item)
  local take = reaper.GetActiveTake(item)
  local source_length = reaper.GetMediaSourceLength(reaper.GetMediaItemTake_Source(take))
  local offset = reaper.GetMediaItemTakeInfo_Value(take, "D_STARTOFFS")
  local length = reaper.GetMediaItemInfo_Value(item, "D_LENGTH")
  if offset > 0.01 or length < source_length - 0.01 then
    stito.log("note: the item plays part of its file; stito matches the whole file (glue the item to match only that part)")
  end
end

--- What happens when the job has ended.
local function finished(job, track, status)
  if status.state ~= "done" then
    reaper.MB("The match failed: " .. (status.message or "?") .. (status.code and (" (code " .. status.code .. ")") or ""),
      "stito", 0)
    return
  end
  stito.remember("last_params", status.params)
  stito.remember("last_track", reaper.GetTrackGUID(track))
  stito.log(string.format("done: %s (similarity %s)", status.params, status.similarity or "?"))
  if job.apply == "script" then
    stito.apply_file(track, status.params, tonumber(stito.setting("first_fx")))
  else
    stito.log("the daemon pushed the parameters through " .. job.profile .. " (REAPER's OSC surface)")
  end
end

--- Matches the selected item to its reference; `groups` ("" = all, else e.g. "space,width") are the
--- attribute groups the match counts.
function stito.match_selected_item(groups)
  local item = reaper.GetSelectedMediaItem(0, 0)
  if not item then
    reaper.MB("Select the item to match first.", "stito", 0)
    return
  end
  local job, problem = make_job(item, groups)
  if not job then
    reaper.MB(problem, "stito", 0)
    return
  end
  warn_if_trimmed(item)
  local track = reaper.GetMediaItem_Track(item)
  stito.run_job(job, function(status) finished(job, track, status) end)
end

return stito
