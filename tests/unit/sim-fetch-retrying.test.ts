// The simulated annotators' requests retry as the annotator's browser does: an answer whose
// body is cut off (the web process killed mid-response: undici's "terminated") is no answer,
// and the request is sent again, where it used to escape as an unhandled error and end the
// whole run (bench:faults, a web process SIGKILLed).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchRetrying } from "@/lib/sim/simulated-annotators";

let server: http.Server;
let url = "";
let requests = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests++;
    if (requests === 1) {
      // headers and half a body, then the connection dies
      res.writeHead(201, { "content-type": "application/json", "content-length": "100" });
      res.write('{"id":"');
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: "j1", next: null }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("simulated annotators' requests", () => {
  it("send again when the answer's body is cut off, and return the whole second answer", async () => {
    const { res, body, attempts } = await fetchRetrying(url, { method: "POST", body: "{}" }, 10_000);
    expect(res?.status).toBe(201);
    expect(JSON.parse(body)).toEqual({ id: "j1", next: null });
    expect(attempts).toBe(2);
    expect(requests).toBe(2);
  });
});
