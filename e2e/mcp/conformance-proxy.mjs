// Forwards every request to TARGET with "Authorization: Bearer TOKEN" added, the
// Host header kept: the MCP conformance suite has no option to send a token.
// Usage: node conformance-proxy.mjs PORT http://127.0.0.1:PORT2/mcp TOKEN (see docs/benchmarks.md).
import http from "node:http";
const [, , listenPort, target, token] = process.argv;
const t = new URL(target);
http.createServer((req, res) => {
  const up = http.request({ hostname: t.hostname, port: t.port, path: t.pathname + (req.url.includes("?") ? req.url.slice(req.url.indexOf("?")) : ""),
    method: req.method, headers: { ...req.headers, authorization: `Bearer ${token}` } }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on("error", (e) => { res.writeHead(502); res.end(String(e)); });
  req.pipe(up);
}).listen(Number(listenPort), "127.0.0.1");
