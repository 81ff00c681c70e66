import { ApiError, errorFrom, requestHeaders } from '../../api/client.js';
import type { ProjectVersionJson } from '../../../../src/protocol/project-schemas.js';
import { projectUrl } from './project-api.js';

/**
 * The Content-Type the server wants for an archive, by the file's name (browsers give a .tar.gz
 * as application/gzip or application/x-gzip or nothing, a .zip as one of two types). Anything
 * else is sent as it is typed, and the server names what it accepts (415).
 */
export function archiveContentType(file: { name: string; type: string }): string {
  const name = file.name.toLowerCase();
  if (name.endsWith('.zip')) return 'application/zip';
  if (name.endsWith('.tar.gz') || name.endsWith('.tgz')) return 'application/gzip';
  return file.type || 'application/octet-stream';
}

/**
 * Uploads an archive as the project's next version (the raw body, as the API takes it), through
 * XMLHttpRequest because `fetch` reports no upload progress. `onProgress` gets 0…1 as bytes leave.
 */
export function uploadArchive(
  name: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<ProjectVersionJson> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', projectUrl(name, '/versions'));
    for (const [header, value] of Object.entries(requestHeaders('POST'))) xhr.setRequestHeader(header, value);
    xhr.setRequestHeader('content-type', archiveContentType(file));
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      const response = new Response(xhr.responseText, {
        status: xhr.status,
        statusText: xhr.statusText,
        headers: { 'content-type': xhr.getResponseHeader('content-type') ?? '' },
      });
      if (response.ok) resolve(response.json() as Promise<ProjectVersionJson>);
      else void errorFrom(response).then(reject);
    };
    xhr.onerror = () =>
      reject(new ApiError(0, 'network_error', 'the upload failed: the server could not be reached'));
    xhr.send(file);
  });
}
