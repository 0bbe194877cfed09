-- Builds the Ardour session of tests/daw/test_ardour_host.py (run by ardour7-lua, Dummy backend).
--
-- Environment:
--   STITO_DIR      session folder to create (must not exist)
--   STITO_NAME     session (snapshot) name
--   STITO_RATE     sample rate, Hz
--   STITO_FRAMES   length of the input region, samples
--   STITO_PLUGINS  comma-separated plugin names (LADSPA) or URIs (LV2), in strip order
--                  (e.g. "ZamCompX2,ZamEQ2" or "urn:ardour:a-eq,urn:ardour:a-comp#stereo")
--   STITO_PLUGIN_TYPE  LADSPA (the default) or LV2
--
-- Ardour 7.3 has no session-level import from Lua, so the track's region is made with
-- Track:bounce_range over silence: that writes one mono WAV per channel into
-- interchange/<name>/audiofiles/stito-input%L.wav and %R.wav, with the Source, Region and Playlist
-- state Ardour itself writes. The test then overwrites those two files with its own audio of the
-- same length. Region fades are switched off so the region plays its samples unchanged.

local dir = assert(os.getenv("STITO_DIR"), "STITO_DIR not set")
local name = assert(os.getenv("STITO_NAME"), "STITO_NAME not set")
local rate = tonumber(os.getenv("STITO_RATE") or "48000")
local frames = tonumber((assert(os.getenv("STITO_FRAMES"), "STITO_FRAMES not set")))
local plugins = assert(os.getenv("STITO_PLUGINS"), "STITO_PLUGINS not set")
local plugin_type = os.getenv("STITO_PLUGIN_TYPE") or "LADSPA"
assert(ARDOUR.PluginType[plugin_type], "unknown STITO_PLUGIN_TYPE " .. plugin_type)

assert(create_session(dir, name, rate), "could not create the session in " .. dir)

-- one stereo audio track, named "stito"
local tracks = Session:new_audio_track(2, 2, nil, 1, "stito",
  ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
local track = tracks:front()

-- the input region: bounce silence to get source files, then place the region at 0
local region = track:bounce_range(0, frames, ARDOUR.InterThreadInfo(), track:main_outs(), false, "stito-input")
assert(not region:isnil(), "bounce_range gave no region")
local audio_region = region:to_audioregion()
audio_region:set_fade_in_active(false)
audio_region:set_fade_out_active(false)
track:playlist():add_region(region, Temporal.timepos_t(0), 1, false, 0, 0, false)

-- the plugins, appended post-fader in the given order (strip plugin 1, 2, ...)
for plugin_name in string.gmatch(plugins, "[^,]+") do
  local plugin = ARDOUR.LuaAPI.new_plugin(Session, plugin_name, ARDOUR.PluginType[plugin_type], "")
  assert(not plugin:isnil(), plugin_type .. " plugin not found: " .. plugin_name)
  track:add_processor_by_index(plugin, -1, nil, true)
end

Session:save_state("", false, false, false, false, false)
close_session()
print("BUILT " .. dir)
