// Preloaded into the web process by `npm start` (node --require): every HTTP request gets
// header x-arbiter-peer-address with its socket's remote address, after any copy the
// client sent is removed. Next.js hands route handlers and next-auth only headers, never
// the socket, and its own X-Forwarded-For keeps whatever the client wrote; the sign-in
// limiter reads this header instead (lib/auth/client-address.ts, same header name).
"use strict";
const http = require("node:http");
const https = require("node:https");

const HEADER = "x-arbiter-peer-address";

function stamp(listener) {
  if (typeof listener !== "function") return listener;
  return function stampedListener(req, res) {
    const headers = req.headers; // parsed once by Node and kept, so the change is what Next reads
    delete headers[HEADER];
    const address = req.socket && req.socket.remoteAddress;
    if (address) headers[HEADER] = address;
    for (let i = req.rawHeaders.length - 2; i >= 0; i -= 2) {
      if (req.rawHeaders[i].toLowerCase() === HEADER) req.rawHeaders.splice(i, 2);
    }
    if (address) req.rawHeaders.push(HEADER, address);
    return listener.call(this, req, res);
  };
}

for (const mod of [http, https]) {
  const createServer = mod.createServer;
  mod.createServer = function createStampingServer(...args) {
    const i = args.findIndex((a) => typeof a === "function");
    if (i >= 0) args[i] = stamp(args[i]);
    const server = createServer.apply(this, args);
    // A listener added later with server.on("request", …) is stamped too.
    const on = server.on;
    server.on = server.addListener = function (event, listener) {
      return on.call(this, event, event === "request" ? stamp(listener) : listener);
    };
    return server;
  };
}

module.exports = { HEADER };
