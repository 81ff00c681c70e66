import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A Python package index on loopback in PEP 503 "simple" layout, serving wheels written here by
 * hand (a wheel is a ZIP with the package and its METADATA/WHEEL/RECORD: no setuptools, no
 * network). `url` is what `pythonIndexUrl` takes.
 */
export interface PythonIndex {
  url: string;
  close(): Promise<void>;
}

/** Writes `<name>-<version>-py3-none-any.whl` into `dir`: a module whose `__version__` is `version`. */
function writeWheel(dir: string, name: string, version: string): string {
  const file = `${name}-${version}-py3-none-any.whl`;
  const script = `
import sys, zipfile
path, name, version = sys.argv[1:]
info = f'{name}-{version}.dist-info'
files = {
    f'{name}/__init__.py': f'__version__ = "{version}"\\n',
    f'{info}/METADATA': f'Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n',
    f'{info}/WHEEL': 'Wheel-Version: 1.0\\nGenerator: stepflow-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n',
}
with zipfile.ZipFile(path, 'w') as wheel:
    for member, text in files.items():
        wheel.writestr(member, text)
    wheel.writestr(f'{info}/RECORD', ''.join(f'{m},,\\n' for m in files) + f'{info}/RECORD,,\\n')
`;
  execFileSync('python3', ['-c', script, path.join(dir, file), name, version]);
  return file;
}

/** Serves `packages` (name → version) from `dir` on 127.0.0.1. */
export async function startPythonIndex(dir: string, packages: Record<string, string>): Promise<PythonIndex> {
  const wheels = new Map(
    Object.entries(packages).map(([name, version]) => [name, writeWheel(dir, name, version)]),
  );
  const page = (links: string[]): string =>
    `<!DOCTYPE html><html><body>${links.map((href) => `<a href="${href}">${path.basename(href)}</a>`).join('\n')}</body></html>`;
  const server = http.createServer((request, response) => {
    const url = request.url ?? '/';
    const send = (status: number, body: string | Buffer, type = 'text/html'): void => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (url === '/simple/') return send(200, page([...wheels.keys()].map((name) => `/simple/${name}/`)));
    const project = /^\/simple\/([^/]+)\/$/.exec(url)?.[1];
    if (project !== undefined) {
      const wheel = wheels.get(project);
      return wheel === undefined ? send(404, 'not found') : send(200, page([`/files/${wheel}`]));
    }
    const file = /^\/files\/([^/]+\.whl)$/.exec(url)?.[1];
    if (file !== undefined && [...wheels.values()].includes(file)) {
      return send(200, fs.readFileSync(path.join(dir, file)), 'application/octet-stream');
    }
    return send(404, 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/simple/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
