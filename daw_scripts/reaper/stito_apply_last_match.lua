-- @description stito: apply last match
-- @about
--   Applies the parameter file of this project's last stito match to the FX of the selected track
--   (or, with no track selected, the track the match was made for), through REAPER's FX API:
--   the file's first effect goes to FX slot `first_fx` (setting, default 1), the next to the next slot.
--   Parameters are found by name. Hold nothing, choose nothing: to apply another parameter file, run
--   it with no last match in the project and pick the file.

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*[/\\])") or "./"
local stito = dofile(here .. "stito_common.lua")

--- The track to apply to: the selected one, else the one of the last match.
local function target_track()
  return reaper.GetSelectedTrack(0, 0) or stito.recalled_track()
end

--- The parameter file: the last match's, else one the user picks.
local function parameter_file()
  local path = stito.recall("last_params")
  if stito.file_exists(path) then return path end
  local ok, chosen = reaper.GetUserFileNameForRead("", "stito: choose a parameter file (.json)", "json")
  return ok and chosen or nil
end

local function main()
  local track = target_track()
  if not track then
    reaper.MB("Select the track whose FX should take the settings.", "stito", 0)
    return
  end
  local path = parameter_file()
  if not path then return end
  stito.apply_file(track, path, tonumber(stito.setting("first_fx")))
end

main()
