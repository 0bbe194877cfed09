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

stito.match_selected_item(stito.setting("match"))
