// Child of bench/server-load.js with BENCH_API_TARGET=reference: the floor under the API latency
// figure. A plain node:http server in its own, otherwise idle process that answers every request
// with the same bytes StepFlow's listing returned (read once from the file given): no routing, no
// validation, no store, no event loop shared with ingest. Whatever latency the bench's client
// measures against it under the same load is the machine's (scheduling, syscalls, the client).
import fs from 'node:fs';
import http from 'node:http';

const body = fs.readFileSync(process.argv[2]);
const server = http.createServer((request, response) => {
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
  });
  response.end(body);
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
