// The harness's HTTP server on 127.0.0.1: the built page, @grafana/ui's icons, and the data
// source's resources answered from fixtures, collect-now by a fake. It records every resource
// request.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { collectAnswer, resourceAnswer } from './fixtures.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const BUILD_DIR = path.join(here, '.build');
const ICONS_DIR = path.resolve(here, '../../node_modules/@grafana/ui/dist/public/img/icons');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.ttf': 'font/ttf',
};

/** Sends a file from dir, refusing paths that leave it. */
async function sendFile(res, dir, relative) {
  const file = path.resolve(dir, relative);
  if (!file.startsWith(dir + path.sep)) {
    res.writeHead(403).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
}

/**
 * Starts the server on a free port of 127.0.0.1 for the data source `uid`. Returns its base
 * URL, the resource requests it received ({ method, name, params, datasourceUid }) and close().
 */
export async function startHarnessServer(uid) {
  const requests = [];
  const resourcePrefix = `/api/datasources/uid/${uid}/resources/`;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/') {
      await sendFile(res, BUILD_DIR, 'harness.html');
    } else if (url.pathname.startsWith(resourcePrefix)) {
      const name = url.pathname.slice(resourcePrefix.length);
      requests.push({
        method: req.method,
        name,
        params: Object.fromEntries(url.searchParams),
        datasourceUid: req.headers['x-datasource-uid'],
      });
      const collect = collectAnswer(req.method, name);
      const answer = collect?.body ?? resourceAnswer(name, url.searchParams.get('entityType'));
      res
        .writeHead(collect?.status ?? (answer ? 200 : 404), { 'Content-Type': 'application/json' })
        .end(JSON.stringify(answer ?? { message: `unknown resource ${name}` }));
    } else if (url.pathname === '/public/build/img/icons/unicons/spinner.svg') {
      // Grafana serves its loading spinner from its own build; @grafana/ui's icons lack it.
      await sendFile(res, here, 'spinner.svg');
    } else if (url.pathname.startsWith('/public/build/img/icons/')) {
      await sendFile(res, ICONS_DIR, url.pathname.slice('/public/build/img/icons/'.length));
    } else {
      await sendFile(res, BUILD_DIR, url.pathname.slice(1));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
