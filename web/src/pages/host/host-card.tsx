import { useMemo } from 'react';
import type { HostSampleJson, HostViewJson } from '../../../../src/protocol/host-schemas.js';
import { formatBytes, formatElapsed } from '../../format.js';
import { HostChart, type HostChartSeries } from './host-chart.js';
import { HostGauge, levelOf } from './host-gauge.js';

const percentOf = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : 0);
const perSecond = (bytes: number) => `${formatBytes(bytes)}/s`;
const percentText = (value: number) => `${value.toFixed(0)}%`;

/** One machine: gauges of its latest sample, per-core bars, and charts of the last minutes. */
export function HostCard({ host, windowMs }: { host: HostViewJson; windowMs: number }) {
  const sample = host.current;
  return (
    <section className="card host-card" data-host-id={host.id} aria-label={`Host ${host.name}`}>
      <div className="card-header host-card-header">
        <span className="host-name">{host.name}</span>
        <span className="host-kind muted">{host.kind}</span>
        {host.host !== host.name && <span className="muted">{host.host}</span>}
        {sample?.uptimeSeconds != null && (
          <span className="muted host-uptime">up {formatElapsed(sample.uptimeSeconds)}</span>
        )}
      </div>
      {sample === null ? (
        <p className="muted host-empty">
          No figures from this worker yet (a version before the host monitor sends none).
        </p>
      ) : (
        <HostFigures sample={sample} history={host.history} windowMs={windowMs} />
      )}
    </section>
  );
}

function HostFigures({
  sample,
  history,
  windowMs,
}: {
  sample: HostSampleJson;
  history: HostSampleJson[];
  windowMs: number;
}) {
  const { cpu, memory, swap, disk, load, network } = sample;
  return (
    <div className="host-body">
      <div className="host-gauges">
        {cpu && <HostGauge label="CPU" percent={cpu.percent} detail={`${cpu.perCore.length} cores`} />}
        {memory && (
          <HostGauge
            label="Memory"
            percent={percentOf(memory.usedBytes, memory.totalBytes)}
            detail={`${formatBytes(memory.usedBytes)} of ${formatBytes(memory.totalBytes)}`}
          />
        )}
        {swap && swap.totalBytes > 0 && (
          <HostGauge
            label="Swap"
            percent={percentOf(swap.usedBytes, swap.totalBytes)}
            detail={`${formatBytes(swap.usedBytes)} of ${formatBytes(swap.totalBytes)}`}
          />
        )}
        {disk && (
          <HostGauge
            label="Disk (data dir)"
            percent={percentOf(disk.usedBytes, disk.usedBytes + disk.freeBytes)}
            detail={`${formatBytes(disk.freeBytes)} free of ${formatBytes(disk.totalBytes)}`}
          />
        )}
      </div>
      {cpu && cpu.perCore.length > 1 && (
        <div className="host-cores" aria-label="CPU per core">
          {cpu.perCore.map((percent, core) => (
            <div
              key={core}
              className="host-core"
              data-level={levelOf(percent)}
              title={`core ${core}: ${percent.toFixed(0)}%`}
            >
              <div style={{ height: `${Math.min(100, percent)}%` }} />
            </div>
          ))}
        </div>
      )}
      <dl className="host-facts">
        {load && (
          <>
            <dt>Load</dt>
            <dd>
              {load.one.toFixed(2)} {load.five.toFixed(2)} {load.fifteen.toFixed(2)}
            </dd>
          </>
        )}
        {network && (
          <>
            <dt>Network</dt>
            <dd>
              ↓ {perSecond(network.rxBytesPerSecond)} ↑ {perSecond(network.txBytesPerSecond)}
            </dd>
          </>
        )}
        {sample.processCount !== null && (
          <>
            <dt>Processes</dt>
            <dd>{sample.processCount}</dd>
          </>
        )}
        <dt>StepFlow</dt>
        <dd>
          {formatBytes(sample.stepflow.rssBytes)}, {sample.stepflow.cpuPercent.toFixed(0)}% CPU
        </dd>
      </dl>
      {sample.unavailable.length > 0 && (
        <p className="muted host-unavailable">
          Not readable on this platform: {sample.unavailable.join(', ')}
        </p>
      )}
      <HostCharts history={history} windowMs={windowMs} />
    </div>
  );
}

function HostCharts({ history, windowMs }: { history: HostSampleJson[]; windowMs: number }) {
  const charts = useMemo(() => {
    const x = history.map((s) => s.ts);
    const cpu: HostChartSeries[] = [
      { label: 'CPU', color: '--accent', values: history.map((s) => s.cpu?.percent ?? null) },
    ];
    const memory: HostChartSeries[] = [
      {
        label: 'Memory',
        color: '--success',
        values: history.map((s) => (s.memory ? percentOf(s.memory.usedBytes, s.memory.totalBytes) : null)),
      },
    ];
    const network: HostChartSeries[] = [
      {
        label: 'Received',
        color: '--accent',
        values: history.map((s) => s.network?.rxBytesPerSecond ?? null),
      },
      { label: 'Sent', color: '--running', values: history.map((s) => s.network?.txBytesPerSecond ?? null) },
    ];
    return { x, cpu, memory, network };
  }, [history]);
  if (history.length === 0) return <p className="muted host-empty">Charts start with the next samples.</p>;
  return (
    <div className="host-charts">
      <HostChart
        windowMs={windowMs}
        label="CPU over the last minutes"
        x={charts.x}
        series={charts.cpu}
        format={percentText}
        max={100}
      />
      <HostChart
        windowMs={windowMs}
        label="Memory over the last minutes"
        x={charts.x}
        series={charts.memory}
        format={percentText}
        max={100}
      />
      <HostChart
        windowMs={windowMs}
        label="Network over the last minutes"
        x={charts.x}
        series={charts.network}
        format={perSecond}
      />
    </div>
  );
}
