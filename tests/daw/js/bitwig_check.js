// Runs daw_scripts/bitwig/stito.control.js in node against a stand-in for Bitwig's controller API and
// checks that OSC messages set the cursor device's remote controls.
//
//   node bitwig_check.js PATH/TO/stito.control.js      -- prints "OK <n> checks" or exits 1
"use strict";

const fs = require("fs");
const vm = require("vm");
const assert = require("assert");

let checks = 0;
function check(condition, what) {
  checks += 1;
  assert.ok(condition, what);
}

// A Java-like List, as Bitwig hands OSC arguments to scripts.
function javaList(items) {
  return { size: () => items.length, get: (i) => items[i] };
}

function oscMessage(address, args) {
  return { getAddressPattern: () => address, getArguments: () => javaList(args) };
}

// The parts of the controller API the script uses, recording what it does.
function fakeHost() {
  const state = { log: [], methods: {}, fallback: null, server: null, defined: null, api: null, page: 0 };
  const parameters = [];
  for (let i = 0; i < 8; i++) {
    // Under the user's takeover mode ("pickup", "value scaling") Bitwig may drop a jump made with set();
    // setImmediately() always lands. The stand-in drops every set().
    parameters.push({ value: null, set(_v) {}, setImmediately(v) { this.value = v; }, markInterested() {},
      name: () => ({ markInterested() {}, get: () => "P" + (i + 1) }) });
  }
  const remote = {
    getParameter: (i) => parameters[i],
    selectedPageIndex: () => ({ markInterested() {}, set: (p) => { state.page = p; } }),
  };
  const device = { createCursorRemoteControlsPage: (n) => { state.pageSize = n; return remote; },
    name: () => ({ markInterested() {}, get: () => "ZamCompX2" }) };
  const space = {
    setShouldLogMessages() {},
    registerMethod: (address, types, description, callback) => { state.methods[address] = callback; },
    registerDefaultMethod: (callback) => { state.fallback = callback; },
  };
  const host = {
    setShouldFailOnDeprecatedUse() {},
    defineController: (...args) => { state.defined = args; },
    println: (text) => state.log.push(text),
    createCursorTrack: () => ({ createCursorDevice: () => device }),
    getOscModule: () => ({ createAddressSpace: () => space, createUdpServer: (port, s) => { state.server = { port, s }; } }),
  };
  return { host, state, parameters };
}

const script = fs.readFileSync(process.argv[2], "utf8");
const { host, state, parameters } = fakeHost();
const context = { host, loadAPI: (n) => { state.api = n; }, CursorDeviceFollowMode: { FOLLOW_SELECTION: 0 }, Math, Number, isNaN };
vm.createContext(context);
vm.runInContext(script, context, { filename: "stito.control.js" });

check(state.defined && state.defined[0] === "stito", "defineController called");
check(state.api >= 10, "loadAPI(10+)");
check(state.server === null, "no server before init()");
vm.runInContext("init()", context);
check(state.server && state.server.port === 9800, "UDP server on 9800 created in init()");
check(state.pageSize === 8, "an 8-control remote page");

const param = state.methods["/stito/param"];
param(null, oscMessage("/stito/param", [5, 0.475]));
check(parameters[4].value === 0.475, "/stito/param 5 0.475 sets remote control 5");
param(null, oscMessage("/stito/param", [1, 1.7]));
check(parameters[0].value === 1, "values are clamped to 1");
param(null, oscMessage("/stito/param", [9, 0.5]));
param(null, oscMessage("/stito/param", [0, 0.5]));
check(parameters.every((p, i) => i === 0 || i === 4 || p.value === null), "indices outside 1-8 set nothing");
check(state.log.some((line) => line.includes("needs an index 1-8, got 9")), "a bad index is logged");
param(null, oscMessage("/stito/param", [2]));
check(parameters[1].value === null && state.log.some((line) => line.includes("needs a value 0-1")), "missing value");

state.methods["/stito/page"](null, oscMessage("/stito/page", [3]));
check(state.page === 2, "/stito/page 3 selects page index 2");
state.methods["/stito/ping"](null, oscMessage("/stito/ping", []));
check(state.log.some((line) => line.includes("pong (device: ZamCompX2)")), "ping logs the device");
state.fallback(null, oscMessage("/nope", []));
check(state.log.some((line) => line.includes("unknown OSC address /nope")), "unknown addresses are logged");

console.log("OK " + checks + " checks");
