// Preloaded into the processes `npm start` supervises (node --require, through NODE_OPTIONS
// so that what they start inherit it, such as `next dev`'s forked server): a process whose
// parent has gone (the start script killed with SIGKILL, `next dev` killed under its server)
// exits instead of living on as an orphan that holds the port and the database's
// connections. Each child leads its own process group (scripts/supervisor.ts), so a
// terminal's Ctrl-C no longer reaches it directly; this covers the parent that cannot
// pass a signal on.
"use strict";
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid !== parent) {
    console.error(`[arbiter] process ${process.pid}: its parent (${parent}) has gone; exiting`);
    process.exit(1);
  }
}, 1000);
timer.unref();
