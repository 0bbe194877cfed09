// stito receiver for Bitwig Studio: a controller script that listens for OSC from the stito daemon
// (`stito serve` with DAW profile "bitwig-stito") and sets the SELECTED device's remote controls.
//
// Install: copy this file into Bitwig's "Controller Scripts" folder (Linux ~/Bitwig Studio/Controller
// Scripts, macOS/Windows Documents/Bitwig Studio/Controller Scripts), then Settings > Controllers >
// Add controller > "stito" > "stito OSC receiver". No MIDI ports are needed.
//
// Address space (UDP, port LISTEN_PORT below; the profile's [osc] port must match):
//   /stito/param  i f   remote control 1-8 of the current page, value 0-1 (int or float accepted)
//   /stito/page   i     select remote-control page 1..n of the cursor device
//   /stito/ping         log "pong" in the controller console (check the connection)
//
// Written for Bitwig's JavaScript engine (ECMAScript 5: var, function; no arrow functions).

loadAPI(10);
host.setShouldFailOnDeprecatedUse(true);
host.defineController("stito", "stito OSC receiver", "1.0", "6b3f8a52-6d1e-4c0a-9f37-57a17c0e5a01", "stito");

// UDP port this script listens on: config/daw/bitwig-stito.toml sends here. Change both together.
var LISTEN_PORT = 9800;
// Remote controls per page (Bitwig's pages have 8).
var PAGE_SIZE = 8;

var cursorTrack = null;
var cursorDevice = null;
var remoteControls = null;

// Number of an OSC argument (Bitwig hands ints and floats as Java numbers), or NaN.
function numberArgument(message, index) {
  var args = message.getArguments();
  if (args === null || index >= args.size()) {
    return NaN;
  }
  return Number(args.get(index));
}

// Sets remote control `index` (1-based) of the current page to `value` (0-1, clamped).
function setRemoteControl(index, value) {
  if (isNaN(index) || index < 1 || index > PAGE_SIZE || index !== Math.floor(index)) {
    host.println("stito: /stito/param needs an index 1-" + PAGE_SIZE + ", got " + index);
    return false;
  }
  if (isNaN(value)) {
    host.println("stito: /stito/param " + index + " needs a value 0-1");
    return false;
  }
  var clamped = Math.min(1, Math.max(0, value));
  // setImmediately: a plain set() can be dropped under the user's takeover mode (pickup, value scaling).
  remoteControls.getParameter(index - 1).setImmediately(clamped);
  return true;
}

// Selects remote-control page `page` (1-based) of the cursor device.
function selectPage(page) {
  if (isNaN(page) || page < 1 || page !== Math.floor(page)) {
    host.println("stito: /stito/page needs a page number from 1, got " + page);
    return false;
  }
  remoteControls.selectedPageIndex().set(page - 1);
  return true;
}

// The OSC methods of this script.
function registerMethods(space) {
  space.registerMethod("/stito/param", "*", "set remote control N (1-8) to a value 0-1", function (source, message) {
    setRemoteControl(numberArgument(message, 0), numberArgument(message, 1));
  });
  space.registerMethod("/stito/page", "*", "select remote-control page N (from 1)", function (source, message) {
    selectPage(numberArgument(message, 0));
  });
  space.registerMethod("/stito/ping", "*", "log pong", function (source, message) {
    host.println("stito: pong (device: " + cursorDevice.name().get() + ")");
  });
  space.registerDefaultMethod(function (source, message) {
    host.println("stito: unknown OSC address " + message.getAddressPattern());
  });
}

function init() {
  // The selected track's selected device, and its current remote-control page.
  cursorTrack = host.createCursorTrack("STITO_TRACK", "stito", 0, 0, true);
  cursorDevice = cursorTrack.createCursorDevice("STITO_DEVICE", "stito", 0, CursorDeviceFollowMode.FOLLOW_SELECTION);
  remoteControls = cursorDevice.createCursorRemoteControlsPage(PAGE_SIZE);
  cursorDevice.name().markInterested();
  remoteControls.selectedPageIndex().markInterested();
  for (var i = 0; i < PAGE_SIZE; i++) {
    remoteControls.getParameter(i).markInterested();
    remoteControls.getParameter(i).name().markInterested();
  }

  // OSC: the address space and the UDP server must be created here, in init().
  var osc = host.getOscModule();
  var space = osc.createAddressSpace();
  space.setShouldLogMessages(false);
  registerMethods(space);
  osc.createUdpServer(LISTEN_PORT, space);
  host.println("stito: listening for OSC on UDP port " + LISTEN_PORT);
}

function flush() {
}

function exit() {
}
