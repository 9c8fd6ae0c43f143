/**
 * The live viewers of `npm run bench:dashboard` (bench/dashboard.ts), in a process of their own so
 * that their reading and parsing is not charged to the app's process: real HTTP connections on
 * loopback, each reading its Server-Sent Events stream and counting the frames it gets.
 *
 * Driven over IPC by the parent: { cmd: "connect", url, count } answers { connected } once every
 * stream has its headers; { cmd: "stats" } answers { frames, bytes, open }; { cmd: "close" }
 * answers { closed } once every connection is gone; { cmd: "exit" } ends the process.
 */
import { request, type ClientRequest, type IncomingMessage } from "node:http";

interface Viewer {
  req: ClientRequest;
  res?: IncomingMessage;
}

let viewers: Viewer[] = [];
let frames = 0;
let bytes = 0;

const send = (message: unknown) => process.send?.(message);

function connect(url: string, count: number): void {
  let ready = 0;
  const target = new URL(url);
  for (let i = 0; i < count; i++) {
    const viewer: Viewer = {
      req: request({ host: target.hostname, port: target.port, path: `${target.pathname}?viewer=${i}`, agent: false }),
    };
    viewer.req.on("response", (res) => {
      viewer.res = res;
      res.setEncoding("utf8");
      // A frame ends with a blank line; counting them is all the parsing a viewer does here.
      let tail = "";
      res.on("data", (chunk: string) => {
        bytes += chunk.length;
        const text = tail + chunk;
        for (let at = text.indexOf("\n\n"); at !== -1; at = text.indexOf("\n\n", at + 2)) frames++;
        tail = text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "";
      });
      res.on("error", () => {});
      if (++ready === count) send({ connected: count });
    });
    viewer.req.on("error", () => {});
    viewer.req.end();
    viewers.push(viewer);
  }
}

async function close(): Promise<void> {
  const all = viewers;
  viewers = [];
  await Promise.all(
    all.map(
      (v) =>
        new Promise<void>((resolve) => {
          const socket = v.req.socket;
          if (!socket || socket.destroyed) return resolve();
          socket.once("close", () => resolve());
          v.req.destroy();
        }),
    ),
  );
  send({ closed: all.length });
}

process.on("message", (m: { cmd: string; url?: string; count?: number }) => {
  if (m.cmd === "connect") connect(m.url!, m.count!);
  else if (m.cmd === "stats") send({ frames, bytes, open: viewers.length });
  else if (m.cmd === "close") void close();
  else if (m.cmd === "exit") process.exit(0);
});
process.on("disconnect", () => process.exit(0));
send({ ready: true });
