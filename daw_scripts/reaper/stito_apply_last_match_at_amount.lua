-- @description stito: apply last match at amount...
-- @about
--   Asks for an amount (0 = untouched, 1 = as found, up to 1.5), lets stito render this project's last
--   match at that amount onto the same input (`stito apply`, no new search: seconds), then sets the FX
--   of the selected track (else the track the match was made for) to the scaled settings, as
--   "stito: apply last match" does. Every parameter moves from its neutral value toward the found one
--   in its own scale (gains in dB, frequencies on their log scale).

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*[/\\])") or "./"
local stito = dofile(here .. "stito_common.lua")
local json = dofile(here .. "stito_json.lua")

--- The last match's parameter file and the input it was made for, or nil and why not.
local function last_match()
  local path = stito.recall("last_params")
  local text = stito.file_exists(path) and stito.read_file(path)
  if not text then return nil, "No match in this project yet: run \"stito: match selected item\" first." end
  local ok, record = pcall(json.decode, text)
  if not ok or type(record) ~= "table" or not record.input then return nil, path .. ": not a stito parameter file" end
  return path, record.input
end

--- The amount the user types, or nil when cancelled or not a number from 0 to 1.5.
local function ask_amount()
  local ok, answer = reaper.GetUserInputs("stito: apply last match at amount", 1, "amount (0 to 1.5)", "0.5")
  local amount = ok and tonumber(answer)
  if ok and not (amount and amount >= 0 and amount <= 1.5) then
    reaper.MB("The amount must be a number from 0 to 1.5, got " .. tostring(answer), "stito", 0)
    return nil
  end
  return amount
end

local function main()
  local path, input = last_match()
  if not path then
    reaper.MB(input, "stito", 0)
    return
  end
  local amount = ask_amount()
  if not amount then return end
  local track = reaper.GetSelectedTrack(0, 0) or stito.recalled_track()
  if not track then
    reaper.MB("Select the track whose FX should take the settings.", "stito", 0)
    return
  end
  local id = "reaper-apply-" .. os.date("%Y%m%d-%H%M%S")
  local folder = stito.work_dir()
  local job = { id = id, match = path, input = input, amount = amount, status = stito.join(folder, id .. ".status"),
    out_dir = folder, profile = "none" }
  stito.run_job(job, function(status)
    if status.state ~= "done" then
      reaper.MB("Applying failed: " .. (status.message or "?"), "stito", 0)
      return
    end
    stito.log(string.format("applied %s at amount %g", path, amount))
    stito.apply_file(track, status.params, tonumber(stito.setting("first_fx")))
  end)
end

main()
