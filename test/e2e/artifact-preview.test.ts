import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';
import { runScript, waitForEnd } from './helpers/execution-kit.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

/** A real 3×2 PNG (red pixels), built by hand so the test needs no image library. */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0)]);
  for (let x = 0; x < width; x++) row[1 + x * 3] = 255;
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('artifact previews', () => {
  it('shows images, JSON, CSV, Markdown and HTML in the page, none of which can script it', async () => {
    const server = await startServer();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'chart.png'), png(3, 2));
    fs.writeFileSync(path.join(dir, 'metrics.json'), '{"accuracy":0.93,"loss":[0.5,0.2]}');
    fs.writeFileSync(path.join(dir, 'scores.csv'), 'model,score\n"big, fast",0.9\nsmall,0.7\n');
    fs.writeFileSync(
      path.join(dir, 'report.md'),
      '# Nightly report\n\n| suite | passed |\n|---|---|\n| unit | 120 |\n\n<img src=x onerror="document.title=\'md-pwned\'">\n\n[click](javascript:alert(1))\n',
    );
    fs.writeFileSync(
      path.join(dir, 'coverage.html'),
      '<h1>Coverage 87%</h1><script>parent.document.title="html-pwned"; document.title="ran"</script>',
    );
    fs.writeFileSync(path.join(dir, 'huge.log'), 'x'.repeat(1024 * 1024 + 1));
    const run = await runScript(
      server,
      dir,
      'reports',
      ['chart.png', 'metrics.json', 'scores.csv', 'report.md', 'coverage.html', 'huge.log']
        .map((file) => `echo ARTIFACT:${file}:${file}`)
        .join('\n'),
    );
    await waitForEnd(server, run.id);
    const page = await browser.open(server.url, `/executions/${run.id}`);
    const preview = (file: string) => page.getByRole('region', { name: `Preview of ${file}` });

    await page.getByRole('button', { name: 'Preview chart.png' }).click();
    const image = preview('chart.png').getByRole('img', { name: 'chart.png' });
    await expect
      .poll(() => image.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]))
      .toEqual([3, 2]);

    await page.getByRole('button', { name: 'Preview metrics.json' }).click();
    await expect
      .poll(() => preview('metrics.json').locator('pre').textContent())
      .toBe('{\n  "accuracy": 0.93,\n  "loss": [\n    0.5,\n    0.2\n  ]\n}');

    await page.getByRole('button', { name: 'Preview scores.csv' }).click();
    const cells = preview('scores.csv').locator('td');
    await expect.poll(() => cells.allTextContents()).toEqual(['big, fast', '0.9', 'small', '0.7']);
    expect(await preview('scores.csv').locator('th').allTextContents()).toEqual(['model', 'score']);

    await page.getByRole('button', { name: 'Preview report.md' }).click();
    await expect
      .poll(() => preview('report.md').getByRole('heading', { name: 'Nightly report' }).count())
      .toBe(1);
    expect(await preview('report.md').locator('td').allTextContents()).toEqual(['unit', '120']);
    // Raw HTML in Markdown is not rendered, and a javascript: link loses its target.
    expect(await preview('report.md').locator('img').count()).toBe(0);
    expect(await preview('report.md').getByText('click').count()).toBe(1);
    expect(await preview('report.md').locator('[href*="javascript"]').count()).toBe(0);

    await page.getByRole('button', { name: 'Preview coverage.html' }).click();
    const frame = preview('coverage.html').locator('iframe');
    expect(await frame.getAttribute('sandbox')).toBe('');
    await expect
      .poll(() => frame.contentFrame().getByRole('heading', { name: 'Coverage 87%' }).count())
      .toBe(1);
    // Its script never ran: neither its own document nor the dashboard was touched.
    expect(
      await frame
        .contentFrame()
        .locator('html')
        .evaluate(() => document.title)
        .catch(() => ''),
    ).not.toBe('ran');
    expect(await page.title()).not.toMatch(/pwned/);

    // Too large to show in the page: the row offers no preview, the download stays.
    expect(await page.getByRole('button', { name: 'Preview huge.log' }).count()).toBe(0);
    expect(await page.getByTitle('Download huge.log').count()).toBe(1);
  });
});
