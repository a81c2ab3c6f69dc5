// Worker threads start plain Node: register tsx here (hooks are per thread), then load the
// TypeScript worker named in workerData.__script.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.__script);
