-- Keeps an Ardour session loaded (its OSC surface answering) until a stop file appears, then saves.
-- Run by ardour7-lua for tests/daw/test_ardour_host.py.
--
-- Environment:
--   STITO_DIR, STITO_NAME  the session folder and snapshot name
--   STITO_STOP             path of the stop file the test creates when it is done
--   STITO_MAX_S            longest time to stay up (seconds), so a failed test never leaves Ardour behind

local dir = assert(os.getenv("STITO_DIR"), "STITO_DIR not set")
local name = assert(os.getenv("STITO_NAME"), "STITO_NAME not set")
local stop_file = assert(os.getenv("STITO_STOP"), "STITO_STOP not set")
local max_s = tonumber(os.getenv("STITO_MAX_S") or "120")

assert(load_session(dir, name), "could not load " .. dir)
print("LOADED")
io.stdout:flush()

local function stop_requested()
  local handle = io.open(stop_file, "r")
  if handle then handle:close() return true end
  return false
end

-- The OSC surface runs in its own thread; this loop only waits.
local started = os.time()
while not stop_requested() and os.time() - started < max_s do
  sleep(0.1)
end

Session:save_state("", false, false, false, false, false)
close_session()
print("SAVED")
io.stdout:flush()
