import type { ComponentProps, MouseEvent } from 'react';
import { apiKey } from '../api/client.js';

/**
 * A download link that also works when the server requires an API key: a plain link cannot send
 * the Authorization header, so with a key the click fetches the file with it and saves the blob
 * (held in memory: fine for logs and typical artifacts). Without a key it is an ordinary link,
 * streamed by the browser.
 */
export function DownloadLink({
  href,
  filename,
  ...anchorProps
}: Omit<ComponentProps<'a'>, 'href' | 'download' | 'onClick'> & { href: string; filename?: string }) {
  const onClick = async (event: MouseEvent<HTMLAnchorElement>) => {
    const key = apiKey();
    if (!key) return;
    event.preventDefault();
    const response = await fetch(href, { headers: { authorization: `Bearer ${key}` } });
    if (!response.ok) {
      window.alert(`Download failed: ${response.status} ${response.statusText}`);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const anchor = document.createElement('a');
    anchor.href = url;
    anchor.download = filename ?? filenameFrom(response.headers.get('content-disposition')) ?? 'download';
    anchor.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };
  return (
    <a {...anchorProps} href={href} download={filename ?? ''} onClick={(event) => void onClick(event)} />
  );
}

/** The UTF-8 `filename*` of a Content-Disposition header, else its plain `filename`. */
function filenameFrom(header: string | null): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(header)?.[1];
  if (extended) return decodeURIComponent(extended);
  return /filename="?([^";]+)"?/i.exec(header)?.[1];
}
