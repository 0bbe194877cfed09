-- @description stito: choose reference
-- @about
--   Picks the reference file for this project (remembered in the project) that
--   "stito: match selected item to reference" uses when no item is marked stito:ref.

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*[/\\])") or "./"
local stito = dofile(here .. "stito_common.lua")

local file = stito.choose_reference()
if file then stito.log("reference for this project: " .. file) end
