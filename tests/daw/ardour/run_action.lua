-- Runs a stito EditorAction script inside ardour7-lua, where there is no editor GUI: Editor and
-- LuaDialog are stand-ins, everything else (Session, ARDOUR.*, LuaOSC) is the real Ardour.
--
-- Environment:
--   STITO_DIR, STITO_NAME  the session to load
--   STITO_SCRIPT           the action script to run
--   STITO_ANSWERS          what the script's dialog "answers": key=value pairs separated by ";"
--   STITO_TRACK            name of the track whose first region counts as selected

local dir = assert(os.getenv("STITO_DIR"), "STITO_DIR not set")
local name = assert(os.getenv("STITO_NAME"), "STITO_NAME not set")
local script = assert(os.getenv("STITO_SCRIPT"), "STITO_SCRIPT not set")

local answers = {}
for key, value in (os.getenv("STITO_ANSWERS") or ""):gmatch("([%w_]+)=([^;]*)") do
  answers[key] = tonumber(value) or value
end

assert(load_session(dir, name), "could not load " .. dir)

-- Editor:get_selection().regions:regionlist():iter() -> the first region of STITO_TRACK
local function selected_regions()
  local track = Session:route_by_name(os.getenv("STITO_TRACK") or "stito"):to_track()
  return track:playlist():region_list()
end
Editor = {
  get_selection = function(_)
    return { regions = { regionlist = function(_) return selected_regions() end } }
  end,
}

-- LuaDialog: every Dialog answers STITO_ANSWERS, every Message is printed
LuaDialog = {
  MessageType = { Info = 0, Warning = 1, Question = 2, Error = 3 },
  ButtonType = { OK = 0, Close = 1, Cancel = 2, Yes_No = 3, OK_Cancel = 4 },
  Dialog = function(title, fields) return { run = function(_) return answers end } end,
  Message = function(title, text) return { run = function(_) print("MESSAGE " .. text) end } end,
}

-- STITO_REGION_GAIN / STITO_REGION_ENVELOPE: the selected region's gain, and its envelope switched on
local gain, envelope = tonumber(os.getenv("STITO_REGION_GAIN") or ""), os.getenv("STITO_REGION_ENVELOPE") == "1"
for region in selected_regions():iter() do
  local audio = region:to_audioregion()
  if gain then audio:set_scale_amplitude(gain) end
  if envelope then audio:set_envelope_active(true) end
end

-- STITO_FOLDBACK_FIRST: a foldback bus (PresentationInfo::FoldbackBus, 0x2000) placed before every strip
if os.getenv("STITO_FOLDBACK_FIRST") == "1" then
  Session:new_audio_route(2, 2, nil, 1, "Foldback", 0x2000, 0)
end

-- the action script's header calls ardour{...}; the action is what factory() returns
function ardour(_) end
dofile(script)
factory()()

Session:save_state("", false, false, false, false, false)
close_session()
print("ACTION DONE")
