-- @description stito: match selected item, only some attributes...
-- @about
--   As "stito: match selected item to reference", but first asks which attribute groups count:
--   tone, dynamics, space, width, comma-separated (e.g. "space" to take only the room of the reference;
--   the EQ and the compressor then stay neutral). Needs the daemon's default metric (attributes).

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*[/\\])") or "./"
local stito = dofile(here .. "stito_common.lua")

local GROUPS = { tone = true, dynamics = true, space = true, width = true }

local function main()
  local ok, answer = reaper.GetUserInputs("stito: match only", 1, "attributes (tone,dynamics,space,width)",
    stito.setting("match") ~= "" and stito.setting("match") or "space")
  if not ok then return end
  local chosen = {}
  for group in answer:gmatch("[^,%s]+") do
    if not GROUPS[group] then
      reaper.MB("Unknown attribute '" .. group .. "': choose from tone, dynamics, space, width.", "stito", 0)
      return
    end
    chosen[#chosen + 1] = group
  end
  if #chosen == 0 then return end
  stito.match_selected_item(table.concat(chosen, ","))
end

main()
