-- A small JSON decoder in pure Lua (5.3 / 5.4), enough for stito's parameter files.
-- REAPER has no JSON API, so the ReaScripts load this file with dofile().
--
--   local json = dofile(script_dir .. "stito_json.lua")
--   local data = json.decode(text)            -- raises an error naming the position on bad input
--
-- Objects become tables with string keys, arrays become sequences (1-based), null becomes
-- json.null (a unique value, so that a null inside an array keeps the array's length).

local json = { null = setmetatable({}, { __tostring = function() return "null" end }) }

local ESCAPES = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

-- Raises an error that says where in the text the problem is.
local function fail(text, pos, what)
  error(string.format("JSON: %s at character %d near %q", what, pos, text:sub(pos, pos + 10)), 0)
end

local function skip_space(text, pos)
  return text:find("[^ \t\r\n]", pos) or #text + 1
end

local decode_value -- forward declaration: values nest

-- Appends the UTF-8 bytes of code point `code` to `out`.
local function add_code_point(out, code)
  out[#out + 1] = utf8.char(code)
end

-- A \uXXXX escape at `pos` (pointing at the "u"); handles UTF-16 surrogate pairs. Returns next pos.
local function decode_unicode(text, pos, out)
  local hex = text:match("^%x%x%x%x", pos + 1)
  if not hex then fail(text, pos, "bad \\u escape") end
  local code = tonumber(hex, 16)
  pos = pos + 5
  if code >= 0xD800 and code <= 0xDBFF then
    local low = text:match("^\\u(%x%x%x%x)", pos)
    if low then
      code = 0x10000 + (code - 0xD800) * 0x400 + (tonumber(low, 16) - 0xDC00)
      pos = pos + 6
    end
  end
  add_code_point(out, code)
  return pos
end

-- A string starting at `pos` (the opening quote). Returns the string and the next position.
local function decode_string(text, pos)
  local out, i = {}, pos + 1
  while true do
    local stop = text:find('["\\]', i)
    if not stop then fail(text, pos, "unterminated string") end
    out[#out + 1] = text:sub(i, stop - 1)
    if text:sub(stop, stop) == '"' then
      return table.concat(out), stop + 1
    end
    local kind = text:sub(stop + 1, stop + 1)
    if kind == "u" then
      i = decode_unicode(text, stop + 1, out)
    elseif ESCAPES[kind] then
      out[#out + 1] = ESCAPES[kind]
      i = stop + 2
    else
      fail(text, stop, "bad escape")
    end
  end
end

local function decode_number(text, pos)
  local number = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
  local value = number and tonumber(number)
  if not value then fail(text, pos, "bad number") end
  return value, pos + #number
end

-- Items of an array or object: calls `read_item(pos)` -> next pos until the closing `close` char.
local function decode_items(text, pos, close, read_item)
  pos = skip_space(text, pos + 1)
  if text:sub(pos, pos) == close then return pos + 1 end
  while true do
    pos = skip_space(text, read_item(pos))
    local char = text:sub(pos, pos)
    if char == close then return pos + 1 end
    if char ~= "," then fail(text, pos, "expected ',' or '" .. close .. "'") end
    pos = skip_space(text, pos + 1)
  end
end

local function decode_array(text, pos)
  local array = {}
  local next_pos = decode_items(text, pos, "]", function(at)
    local value, after = decode_value(text, at)
    array[#array + 1] = value
    return after
  end)
  return array, next_pos
end

local function decode_object(text, pos)
  local object = {}
  local next_pos = decode_items(text, pos, "}", function(at)
    if text:sub(at, at) ~= '"' then fail(text, at, "expected a key") end
    local key, after = decode_string(text, at)
    after = skip_space(text, after)
    if text:sub(after, after) ~= ":" then fail(text, after, "expected ':'") end
    local value
    value, after = decode_value(text, skip_space(text, after + 1))
    object[key] = value
    return after
  end)
  return object, next_pos
end

-- Words a JSON value may be; NaN and Infinity are what Python's json module writes for those floats.
local LITERALS = { { "true", true }, { "false", false }, { "null", json.null },
  { "NaN", 0 / 0 }, { "Infinity", math.huge }, { "-Infinity", -math.huge } }

decode_value = function(text, pos)
  local char = text:sub(pos, pos)
  if char == "{" then return decode_object(text, pos) end
  if char == "[" then return decode_array(text, pos) end
  if char == '"' then return decode_string(text, pos) end
  for _, literal in ipairs(LITERALS) do
    local word = literal[1]
    if text:sub(pos, pos + #word - 1) == word then return literal[2], pos + #word end
  end
  if char:match("[-%d]") then return decode_number(text, pos) end
  fail(text, pos, "unexpected character")
end

--- Decodes a JSON text; raises an error with the position on malformed input.
function json.decode(text)
  local value, pos = decode_value(text, skip_space(text, 1))
  pos = skip_space(text, pos)
  if pos <= #text then fail(text, pos, "trailing characters") end
  return value
end

return json
