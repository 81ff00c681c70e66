/** Past these shares a gauge turns the theme's warning, then danger colour. */
const WARN_AT = 80;
const CRITICAL_AT = 90;

export type GaugeLevel = 'ok' | 'warn' | 'critical';

export function levelOf(percent: number): GaugeLevel {
  return percent > CRITICAL_AT ? 'critical' : percent > WARN_AT ? 'warn' : 'ok';
}

/** A labelled bar: what share of a resource is in use, coloured by {@link levelOf}. */
export function HostGauge({ label, percent, detail }: { label: string; percent: number; detail: string }) {
  const clamped = Math.max(0, Math.min(100, percent));
  const level = levelOf(clamped);
  return (
    <div className="host-gauge" data-level={level}>
      <div className="host-gauge-label">
        <span>{label}</span>
        <span className="host-gauge-value">
          {clamped.toFixed(0)}% <span className="muted">{detail}</span>
        </span>
      </div>
      <div
        className="host-gauge-bar"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(clamped)}
      >
        <div style={{ width: `${clamped}%` }} />
      </div>
    </div>
  );
}
