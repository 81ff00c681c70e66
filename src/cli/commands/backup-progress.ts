import type { BackupProgress } from '../../app/backup/take-backup.js';
import { formatBytes } from '../format.js';

const REDRAW_MS = 100;

/**
 * Where a backup is, on stderr: on a terminal one line redrawn in place (at most every 100 ms);
 * otherwise (a log, a cron mail) a plain line when a phase starts and at each further quarter.
 */
export function createBackupProgress(stream: NodeJS.WriteStream = process.stderr) {
  let lastDraw = 0;
  let lastPhase: BackupProgress['phase'] | undefined;
  let lastQuarter = -1;
  const label = { database: 'copying the database', archive: 'archiving' } as const;
  return {
    update(progress: BackupProgress): void {
      const percent =
        progress.totalBytes > 0 ? Math.min(100, (100 * progress.doneBytes) / progress.totalBytes) : 100;
      const line = `backup: ${label[progress.phase]} ${percent.toFixed(0)}% (${formatBytes(progress.doneBytes)} of ${formatBytes(progress.totalBytes)})`;
      if (stream.isTTY) {
        const now = Date.now();
        if (progress.phase === lastPhase && now - lastDraw < REDRAW_MS) return;
        lastDraw = now;
        lastPhase = progress.phase;
        stream.write(`\r\x1b[K${line}`);
        return;
      }
      const quarter = Math.floor(percent / 25);
      if (progress.phase === lastPhase && quarter === lastQuarter) return;
      lastPhase = progress.phase;
      lastQuarter = quarter;
      stream.write(`${line}\n`);
    },
    done(): void {
      if (stream.isTTY && lastPhase !== undefined) stream.write('\r\x1b[K');
    },
  };
}
