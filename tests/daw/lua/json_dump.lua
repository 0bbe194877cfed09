-- Decodes a JSON file with one of stito's Lua decoders and prints every leaf as "path=value" lines,
-- sorted, so tests/daw/test_scripts.py can compare with Python's json module.
--
--   lua5.4 json_dump.lua reaper  DAW_SCRIPTS_DIR FILE   -- daw_scripts/reaper/stito_json.lua
--   lua5.4 json_dump.lua ardour  DAW_SCRIPTS_DIR FILE   -- the decoder inside stito_apply_match.lua

local which, scripts, file = arg[1], arg[2], arg[3]

local function load_decoder()
  if which == "reaper" then
    local json = dofile(scripts .. "/reaper/stito_json.lua")
    return json.decode, json.null
  end
  -- the Ardour action script returns its decoder from the action when STITO_SELFTEST is set
  function ardour() end
  STITO_SELFTEST = true
  dofile(scripts .. "/ardour/stito_apply_match.lua")
  return factory()(), nil
end

local decode, null = load_decoder()
local handle = assert(io.open(file, "rb"))
local text = handle:read("a")
handle:close()

local lines = {}
local function leaf(path, value)
  local shown
  if type(value) == "number" then
    if value ~= value then shown = "nan"
    elseif value == math.huge then shown = "inf"
    elseif value == -math.huge then shown = "-inf"
    else shown = string.format("%.17g", value) end
  elseif type(value) == "string" then shown = string.format("%q", value):gsub("\\\n", "\\n")
  elseif type(value) == "boolean" then shown = tostring(value)
  else shown = "null" end
  lines[#lines + 1] = path .. "=" .. shown
end

-- Arrays print their items as path[i] (0-based), objects as path.key; an empty table prints "{}".
-- (The Ardour decoder's null is an empty table, so there null prints "{}" too.)
local function walk(path, value)
  if type(value) ~= "table" or value == null then
    return leaf(path, value)
  end
  if next(value) == nil then
    lines[#lines + 1] = path .. "={}"
  elseif #value > 0 then
    for i, item in ipairs(value) do walk(path .. "[" .. (i - 1) .. "]", item) end
  else
    for key, item in pairs(value) do walk(path .. "." .. key, item) end
  end
end

local ok, value = pcall(decode, text)
if not ok then
  print("ERROR " .. tostring(value))
  os.exit(3)
end
walk("", value)
table.sort(lines)
for _, line in ipairs(lines) do print(line) end
