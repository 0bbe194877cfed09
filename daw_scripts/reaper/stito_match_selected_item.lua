-- @description stito: match selected item to reference
-- @about
--   Sends the selected item's audio file and a reference to stito, waits in the background, then
--   applies the found settings to the FX of the item's track (or lets the daemon push them through
--   REAPER's OSC control surface). The reference is, in this order: an item marked "stito:ref"
--   (in its take name or item notes), the project's remembered reference or a reference.* file in the
--   project folder, else a file you choose. Settings: stito_settings.lua. Setup: daw_scripts/README.md.

-- Load the shared code from this script's folder.
local here = debug.getinfo(1, "S").source:sub(2):match("^(.*[/\\])") or "./"
local stito = dofile(here .. "stito_common.lua")

--- The job for `item`, or nil and why not.
local function make_job(item)
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
    profile = apply == "osc" and "reaper" or "none", apply = apply,
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
    stito.log("the daemon pushed the parameters through the 'reaper' profile (REAPER's OSC surface)")
  end
end

local function main()
  local item = reaper.GetSelectedMediaItem(0, 0)
  if not item then
    reaper.MB("Select the item to match first.", "stito", 0)
    return
  end
  local job, problem = make_job(item)
  if not job then
    reaper.MB(problem, "stito", 0)
    return
  end
  warn_if_trimmed(item)
  local track = reaper.GetMediaItem_Track(item)
  stito.run_job(job, function(status) finished(job, track, status) end)
end

main()
