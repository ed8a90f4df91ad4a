// Loaded with `node --require` before the Portkey gateway, which has no bind option.
//
// - Every server it starts listens on 127.0.0.1, on the port in PORTKEY_TEST_PORT (0: any free
//   one), and writes the port it got to the file named by PORTKEY_TEST_PORT_FILE.
// - Every outgoing connection to an address outside loopback is appended to the file named by
//   PORTKEY_TEST_OUTSIDE_LOG (one line each): the tests assert it stays empty.
// - A connection to any other host name fails at once as an unknown name (ENOTFOUND, what a
//   machine without internet answers) without asking DNS, so no name can resolve to the
//   outside; the name is appended to PORTKEY_TEST_BLOCKED_LOG.
// - Hosts named in PORTKEY_TEST_HOST_MAP (JSON {"name": "127.0.0.1:port"}) are connected to
//   the mapped address instead, keeping the name for TLS (SNI and certificate check), so the
//   gateway's calls to fixed Google hostnames reach the tests' TLS front.
//
// The gateway talks upstream with Node's global fetch (undici), whose connector calls
// `tls.connect` / `net.connect` on the module objects at connect time: patching those two
// functions covers fetch as well as the `http`/`https` modules.
"use strict";

const fs = require("node:fs");
const net = require("node:net");
const tls = require("node:tls");

const listenPort = Number(process.env.PORTKEY_TEST_PORT || "0");
const outsideLog = process.env.PORTKEY_TEST_OUTSIDE_LOG || "";
const portFile = process.env.PORTKEY_TEST_PORT_FILE || "";
const blockedLog = process.env.PORTKEY_TEST_BLOCKED_LOG || "";
const hostMap = JSON.parse(process.env.PORTKEY_TEST_HOST_MAP || "{}");

function isLoopback(host) {
  if (!host || host === "localhost" || host === "::1" || host === "[::1]") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host.startsWith("::ffff:127.");
}

function recordOutside(what) {
  if (outsideLog) fs.appendFileSync(outsideLog, what + "\n");
}

function isIpLiteral(host) {
  return net.isIP(host.replace(/^\[|\]$/g, "")) !== 0;
}

function unknownName(hostname, options, callback) {
  if (blockedLog) fs.appendFileSync(blockedLog, hostname + "\n");
  const error = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  Object.assign(error, { code: "ENOTFOUND", errno: -3008, syscall: "getaddrinfo", hostname });
  process.nextTick(callback, error);
}

// net.connect(options[, cb]), net.connect(port[, host][, cb]), net.connect(path[, cb])
function normalise(args) {
  const rest = Array.from(args);
  if (rest.length && typeof rest[0] === "object" && rest[0] !== null) {
    return [{ ...rest[0] }, rest.slice(1)];
  }
  if (typeof rest[0] === "number" || /^\d+$/.test(String(rest[0]))) {
    const options = { port: Number(rest[0]) };
    if (typeof rest[1] === "string") {
      options.host = rest[1];
      return [options, rest.slice(2)];
    }
    return [options, rest.slice(1)];
  }
  return [{ path: rest[0] }, rest.slice(1)];
}

function redirected(options, withTls) {
  if (options.path && !options.host) return options; // a unix socket
  const host = options.host || options.hostname || "localhost";
  const target = hostMap[host.toLowerCase()];
  if (target) {
    const cut = target.lastIndexOf(":");
    const mapped = {
      ...options,
      host: target.slice(0, cut),
      port: Number(target.slice(cut + 1)),
    };
    delete mapped.hostname;
    if (withTls && !mapped.servername) mapped.servername = host;
    return mapped;
  }
  if (isLoopback(host)) return options;
  if (isIpLiteral(host)) {
    recordOutside(`${host}:${options.port ?? ""}`);
    return options;
  }
  return { ...options, lookup: unknownName };
}

function watchResolved(socket, options) {
  socket.on("lookup", (error, address) => {
    if (!error && address && !isLoopback(address)) {
      recordOutside(`${options.host}:${options.port ?? ""} resolved to ${address}`);
    }
  });
  return socket;
}

for (const [module, withTls] of [
  [net, false],
  [tls, true],
]) {
  const names = withTls ? ["connect"] : ["connect", "createConnection"];
  for (const name of names) {
    const original = module[name];
    module[name] = function patchedConnect(...args) {
      const [options, rest] = normalise(args);
      const target = redirected(options, withTls);
      return watchResolved(original.call(this, target, ...rest), target);
    };
  }
}

const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function patchedListen(...args) {
  const callback = args.find((arg) => typeof arg === "function");
  const options = { host: "127.0.0.1", port: listenPort };
  if (portFile) {
    this.once("listening", () => {
      // Written whole, then renamed: a reader never sees half a port number.
      fs.writeFileSync(`${portFile}.tmp`, String(this.address().port));
      fs.renameSync(`${portFile}.tmp`, portFile);
    });
  }
  return callback
    ? originalListen.call(this, options, callback)
    : originalListen.call(this, options);
};
