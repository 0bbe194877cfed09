-- Runs daw_scripts/reaper/stito_common.lua against a stand-in for REAPER's API (plain lua5.4) and
-- checks the logic that does not need REAPER itself: parameter names, applying a parameter file to
-- plugins in real units and in 0-1, the reference search, the sender command and the status polling.
--
--   lua5.4 reaper_check.lua DAW_SCRIPTS_DIR WORK_DIR      -- prints "OK <n> checks" or fails

local scripts, work = arg[1], arg[2]
local checks = 0

local function check(condition, what)
  checks = checks + 1
  if not condition then error("check failed: " .. what, 2) end
end

local function near(a, b, tolerance)
  return a and b and math.abs(a - b) <= tolerance
end

---------------------------------------------------------------------------------------------------
-- a tiny model of REAPER: one project, items, tracks with FX, ExtState
---------------------------------------------------------------------------------------------------

-- A plugin parameter that REAPER shows as 0-1 (VST/VST3) with its own display text.
local function dial(name, lo, hi, scale, format)
  local p = { name = name, lo = lo, hi = hi, scale = scale, format = format, x = 0.5, normalized_only = true }
  function p.real(x)
    if p.scale == "log" then return lo * (hi / lo) ^ x end
    return lo + (hi - lo) * x
  end
  return p
end

-- A parameter that REAPER reports in its own units (JSFX and the like).
local function knob(name, lo, hi)
  return { name = name, lo = lo, hi = hi, value = lo }
end

local function hz(value)
  if value >= 1000 then return string.format("%.2f kHz", value / 1000) end
  return string.format("%.1f Hz", value)
end

local track = {
  fx = {
    { name = "JS: compressor", params = { knob("Threshold (dB)", -60, 0), knob("Ratio", 1, 20), knob("Attack", 0.1, 100) } },
    { name = "VST3: ZamEQ2", params = {
      dial("Boost/Cut 1", -50, 20, "lin", function(v) return string.format("%.2f dB", v) end),
      dial("Frequency 1", 20, 14000, "log", hz),
      dial("Bandwidth 1", 0.1, 6, "log", function(v) return string.format("%.3f", v) end),
    } },
  },
}

local ext, proj_ext, console, deferred, executed = {}, {}, {}, {}, {}
local items = {
  { file = work .. "/vocal.wav", take = "Vocal", notes = "" },
  { file = work .. "/ref.wav", take = "my take", notes = "this one: STITO:REF" },
}

reaper = {
  HasExtState = function(section, key) return ext[section .. "/" .. key] ~= nil end,
  GetExtState = function(section, key) return ext[section .. "/" .. key] or "" end,
  SetExtState = function(section, key, value) ext[section .. "/" .. key] = value end,
  SetProjExtState = function(_, section, key, value) proj_ext[section .. "/" .. key] = value end,
  GetProjExtState = function(_, section, key) local v = proj_ext[section .. "/" .. key] return v and 1 or 0, v or "" end,
  ShowConsoleMsg = function(text) console[#console + 1] = text end,
  EnumProjects = function() return 0, work .. "/song.rpp" end,
  GetProjectPath = function() return work end,
  RecursiveCreateDirectory = function(path) os.execute("mkdir -p '" .. path .. "'") return 1 end,
  CountMediaItems = function() return #items end,
  GetMediaItem = function(_, i) return items[i + 1] end,
  GetActiveTake = function(item) return item end,
  TakeIsMIDI = function() return false end,
  GetMediaItemTake_Source = function(take) return take end,
  GetMediaSourceParent = function() return nil end,
  GetMediaSourceFileName = function(source) return source.file end,
  GetTakeName = function(take) return take.take end,
  GetSetMediaItemInfo_String = function(item) return true, item.notes end,
  GetUserFileNameForRead = function() return false, "" end,
  ExecProcess = function(command, timeout) executed[#executed + 1] = { command, timeout } return "0\n" end,
  time_precise = os.clock,
  defer = function(fn) deferred[#deferred + 1] = fn end,
  MB = function(text) console[#console + 1] = "MB " .. text end,
  Undo_BeginBlock = function() end,
  Undo_EndBlock = function() end,
  TrackFX_GetCount = function(t) return #t.fx end,
  TrackFX_GetNumParams = function(t, fx) return #t.fx[fx + 1].params end,
  TrackFX_GetParamName = function(t, fx, p) return true, t.fx[fx + 1].params[p + 1].name end,
}

function reaper.TrackFX_GetParam(t, fx, p)
  local param = t.fx[fx + 1].params[p + 1]
  if param.normalized_only then return param.x, 0, 1 end
  return param.value, param.lo, param.hi
end

function reaper.TrackFX_SetParam(t, fx, p, value)
  local param = t.fx[fx + 1].params[p + 1]
  if param.normalized_only then param.x = value else param.value = value end
  return true
end

function reaper.TrackFX_SetParamNormalized(t, fx, p, x)
  t.fx[fx + 1].params[p + 1].x = x
  t.moves = (t.moves or 0) + 1
  return true
end

-- FX without Cockos' VST extensions (`no_format`) cannot format a position they are not at.
function reaper.TrackFX_FormatParamValueNormalized(t, fx, p, x)
  local param = t.fx[fx + 1].params[p + 1]
  if t.fx[fx + 1].no_format then return false, "" end
  return true, param.format(param.real(x))
end

function reaper.TrackFX_GetFormattedParamValue(t, fx, p)
  local param = t.fx[fx + 1].params[p + 1]
  return true, param.format(param.real(param.x))
end

-- tracks: the project's list; a copied FX gets copies of its parameters; every move is counted per track
local tracks = {}
function reaper.CountTracks() return #tracks end
function reaper.InsertTrackAtIndex(i) table.insert(tracks, i + 1, { fx = {}, moves = 0 }) end
function reaper.GetTrack(_, i) return tracks[i + 1] end
function reaper.DeleteTrack(t)
  for i, other in ipairs(tracks) do if other == t then table.remove(tracks, i) return end end
end
function reaper.TrackFX_CopyToTrack(src, fx, dest, dest_fx)
  local from, params = src.fx[fx + 1], {}
  for i, param in ipairs(from.params) do
    local copy = {}
    for k, v in pairs(param) do copy[k] = v end
    params[i] = copy
  end
  table.insert(dest.fx, dest_fx + 1, { name = from.name, params = params, no_format = from.no_format })
end

---------------------------------------------------------------------------------------------------
-- the checks
---------------------------------------------------------------------------------------------------

local stito = dofile(scripts .. "/reaper/stito_common.lua")
local json = dofile(scripts .. "/reaper/stito_json.lua")

-- names
check(stito.snake("Boost/Cut 1") == "boost_cut_1", "snake Boost/Cut 1")
check(stito.snake("Threshold (dB)") == "threshold_db", "snake Threshold (dB)")
check(stito.snake("StereoWidth %") == "stereo_width_pct", "snake StereoWidth %")
check(stito.same_parameter("Boost/Cut 1", { name = "boost_cut_1_db", unit = "dB" }), "unit suffix")
check(stito.same_parameter("Frequency L", { name = "frequency_l_hz", unit = "Hz" }), "Hz suffix")
check(stito.same_parameter("Ratio", { name = "ratio", unit = "" }), "plain name")
check(not stito.same_parameter("Attack", { name = "release_ms", unit = "ms" }), "different names")
check(stito.parse_shown("2.50 kHz", "Hz") == 2500, "kHz display")
check(stito.parse_shown("-12.5 dB", "dB") == -12.5, "dB display")

-- applying a parameter file
local file = {
  parameters = {
    { effect = "compressor", name = "threshold_db", value = -24.5, unit = "dB" },
    { effect = "compressor", name = "ratio", value = 4.0, unit = "" },
    { effect = "compressor", name = "attack_ms", value = 500.0, unit = "ms" },      -- outside 0.1..100
    { effect = "eq", name = "boost_cut_1_db", value = -6.25, unit = "dB" },
    { effect = "eq", name = "frequency_1_hz", value = 2500.0, unit = "Hz" },
    { effect = "eq", name = "bandwidth_1", value = 1.5, unit = "" },
    { effect = "eq", name = "frequency_9_hz", value = 100.0, unit = "Hz" },          -- no such parameter
    { effect = "delay", name = "time_ms", value = 100.0, unit = "ms" },              -- no FX slot 3
  },
}
local set, problems = stito.apply(track, file, 1)
check(set == 5, "five parameters set, got " .. set)
check(#problems == 3, "three problems, got " .. #problems)
check(problems[1]:find("compressor.attack_ms: 500 is outside the plugin's 0.1..100", 1, true), problems[1])
check(problems[2]:find("eq.frequency_9_hz: no parameter of that name on FX 2", 1, true), problems[2])
check(problems[3]:find("delay.time_ms: no FX in slot 3", 1, true), problems[3])
local comp, eq = track.fx[1].params, track.fx[2].params
check(comp[1].value == -24.5 and comp[2].value == 4.0, "real-unit knobs take the value as is")
check(near(eq[1].real(eq[1].x), -6.25, 0.01), "dB dial at -6.25, got " .. eq[1].real(eq[1].x))
check(near(eq[2].real(eq[2].x), 2500, 5), "log Hz dial at 2500 (display in kHz), got " .. eq[2].real(eq[2].x))
check(near(eq[3].real(eq[3].x), 1.5, 0.001), "log dial at 1.5, got " .. eq[3].real(eq[3].x))

-- a plugin without Cockos' extensions: the position is found on a scratch copy, the user's control moves once
tracks[1] = track
track.moves, track.fx[2].no_format = 0, true
set, problems = stito.apply(track, { parameters = { file.parameters[4], file.parameters[5] } }, 2)
check(set == 2 and #problems == 0, "set without formatting: " .. table.concat(problems, "; "))
check(near(eq[1].real(eq[1].x), -6.25, 0.01) and near(eq[2].real(eq[2].x), 2500, 5), "values found on the copy")
check(track.moves == 2, "the user's controls moved once each, not swept: " .. track.moves .. " moves")
check(#tracks == 1, "the scratch track is gone")
track.fx[2].no_format = nil

-- the chain's first effect in FX slot 2: the compressor row meets the EQ, the eq row finds no slot 3
set, problems = stito.apply(track, { parameters = { file.parameters[1], file.parameters[4] } }, 2)
check(set == 0 and #problems == 2, "first_fx = 2 shifts every effect by one slot")
check(problems[2]:find("no FX in slot 3", 1, true), problems[2])

-- reference search: the marked item wins, and it is never the selected item itself
local reference, why = stito.find_reference(items[1])
check(reference == work .. "/ref.wav" and why:find("stito:ref"), "marked reference item")
local project = assert(io.open(work .. "/song.rpp", "w")) -- the remembered reference must exist
project:write("<REAPER_PROJECT>\n")
project:close()
items[2].notes, proj_ext["stito/reference"] = "", work .. "/song.rpp"
reference, why = stito.find_reference(items[1])
check(reference == work .. "/song.rpp" and why == "the project's reference", "remembered project reference")

-- the sender command: every argument quoted, settings in place
ext["stito/python"], ext["stito/via"] = "/opt/my python/bin/python3", "cli"
local job = { id = "reaper-1", input = work .. "/my vocal.wav", reference = work .. "/ref.wav", chain = "zam",
  status = work .. "/stito/reaper-1.status", out_dir = work .. "/stito", profile = "none" }
local command = stito.sender_command(job)
local head = '"/opt/my python/bin/python3" "' .. scripts .. '/reaper/../stito_send.py" "match" "' .. work .. '/my vocal.wav"'
check(command:sub(1, #head) == head, command)
check(command:find('"--via" "cli"', 1, true) and command:find('"--profile" "none"', 1, true), command)
check(not command:find("--token-file", 1, true), "no token file unless one is set: " .. command)
ext["stito/token_file"] = work .. "/my token"
check(stito.sender_command(job):find('"--token-file" "' .. work .. '/my token"', 1, true), "token file passed")
ext["stito/token_file"] = ""

-- apply = "osc": the daemon pushes to the item's own track and the chain's first FX slot, not track 1
local on_third = { number = 3 }
reaper.GetMediaTrackInfo_Value = function(t, key) return key == "IP_TRACKNUMBER" and t.number or 0 end
ext["stito/apply"], ext["stito/first_fx"] = "osc", "2"
check(stito.job_profile(on_third) == "reaper@track=3,first_fx=2", stito.job_profile(on_third))
ext["stito/apply"], ext["stito/first_fx"] = "script", "1"
check(stito.job_profile(on_third) == "none", "apply = script: no push")

-- a match of only some attribute groups passes them as --match
job.groups = "space,width"
check(stito.sender_command(job):find('"--match" "space,width"', 1, true), "groups passed")
job.groups = nil
check(not stito.sender_command(job):find('"--match"', 1, true), "no --match for all groups")

-- an apply job (a saved match at an amount) is sent as `apply MATCH INPUT --amount A`, no reference or chain
local apply_job = { id = "reaper-apply-1", match = work .. "/last.json", input = work .. "/my vocal.wav", amount = 0.5,
  status = work .. "/stito/reaper-apply-1.status", out_dir = work .. "/stito", profile = "none" }
local apply_command = stito.sender_command(apply_job)
check(apply_command:find('"apply" "' .. work .. '/last.json" "' .. work .. '/my vocal.wav" "--amount" "0.5"', 1, true),
  apply_command)
check(not apply_command:find('"--chain"', 1, true) and apply_command:find('"--job" "reaper-apply-1"', 1, true),
  apply_command)

-- running a job: ExecProcess without waiting, then polling the status file until it is done
local finished = nil
os.execute("mkdir -p '" .. work .. "/stito'")
stito.run_job(job, function(status) finished = status end)
check(#executed == 1 and executed[1][2] == -1, "ExecProcess(command, -1)")
local function tick() local fn = table.remove(deferred, 1) if fn then fn() end end
tick()
check(finished == nil and #deferred == 1, "still waiting without a status file")
local handle = io.open(job.status, "w")
handle:write("job=reaper-1\nstate=running\niteration=3\nbest=0.9\n")
handle:close()
tick()
check(finished == nil, "still waiting while running")
handle = io.open(job.status, "w")
handle:write("job=reaper-1\nstate=done\nparams=" .. work .. "/x.json\nsimilarity=0.95\n")
handle:close()
tick()
check(finished and finished.state == "done" and finished.params == work .. "/x.json", "done status read")

-- a helper that cannot be started: ExecProcess gives nil, and the job fails at once, naming the command
local exec, failed = reaper.ExecProcess, nil
reaper.ExecProcess = function() return nil end
stito.run_job(job, function(status) failed = status end)
check(failed and failed.state == "error" and failed.message:find("could not start the helper: ", 1, true)
  and #deferred == 0, "an unstartable helper fails at once")
reaper.ExecProcess = exec

-- a helper that starts but never writes its status (no Python 3): an error after START_S, not timeout_s
local clock, now = reaper.time_precise, 0
reaper.time_precise = function() return now end
failed = nil
stito.run_job(job, function(status) failed = status end)
tick()
check(failed == nil, "waiting for the helper's first status")
now = stito.START_S + 1
tick()
check(failed and failed.state == "error" and failed.message:find("wrote nothing in 20 s, so it did not start", 1, true),
  "a silent helper is reported after START_S: " .. tostring(failed and failed.message))
reaper.time_precise = clock

-- a parameter file written by Python goes through the decoder into apply
local written = json.decode('{"parameters": [{"effect": "compressor", "name": "ratio", "value": 8.5, "unit": ""}]}')
check(stito.apply(track, written, 1) == 1 and comp[2].value == 8.5, "decoded file applied")

print("OK " .. checks .. " checks")
