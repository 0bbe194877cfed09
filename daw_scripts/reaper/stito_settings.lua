-- @description stito: settings
-- @about
--   Edits the stito scripts' settings (kept in REAPER's ExtState, section "stito", for every project):
--   chain, via (osc = ask `stito serve`, cli = run `stito match`), apply (script = set the FX with
--   REAPER's API, osc = the daemon pushes through REAPER's OSC surface), python, first FX slot,
--   daemon host and port, the token file (when the daemon has a server.token), and the attribute groups a
--   match counts (match: e.g. "space,width"; empty: all). Leave a field empty for its default.

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*[/\\])") or "./"
local stito = dofile(here .. "stito_common.lua")

local KEYS = { "chain", "via", "apply", "python", "first_fx", "host", "port", "stito", "sender", "token_file",
  "match" }

local function current_values()
  local values = {}
  for i, key in ipairs(KEYS) do values[i] = stito.setting(key) end
  return table.concat(values, "\t")
end

local function main()
  local captions = table.concat(KEYS, ",") .. ",separator=\t,extrawidth=250"
  local ok, answer = reaper.GetUserInputs("stito settings", #KEYS, captions, current_values())
  if not ok then return end
  local i = 0
  for value in (answer .. "\t"):gmatch("([^\t]*)\t") do
    i = i + 1
    reaper.SetExtState("stito", KEYS[i], value, true) -- true: kept across REAPER restarts
  end
  stito.log("settings saved")
end

main()
