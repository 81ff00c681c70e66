import { describe, expect, it } from 'vitest';
import type { LogLine } from '../core/model.js';
import { createEventBus } from '../engine/event-bus.js';
import { createIngestMeter } from './ingest-meter.js';

const lines = (n: number): LogLine[] =>
  Array.from({ length: n }, (_, i) => ({
    seq: i + 1,
    ts: 0,
    stream: 'stdout',
    stepId: null,
    text: '',
    flags: 0,
  }));

describe('createIngestMeter', () => {
  const setup = (windowSeconds = 10) => {
    let now = 1_000_000; // whole second: the meter starts at the beginning of one
    const bus = createEventBus();
    const meter = createIngestMeter({ events: bus, windowSeconds, now: () => now });
    const publish = (n: number) => bus.publish({ type: 'log.lines', executionId: 'e', lines: lines(n) });
    return { meter, publish, advance: (ms: number) => (now += ms), bus };
  };

  it('counts the lines of log.lines events and ignores other events', () => {
    const { meter, publish, bus } = setup();
    publish(3);
    publish(1000);
    bus.publish({ type: 'execution.updated', executionId: 'e', execution: {} as never });
    expect(meter.total()).toBe(1003);
  });

  it('averages over the complete seconds so far, then over the window', () => {
    const { meter, publish, advance } = setup(4);
    expect(meter.perSecond()).toBe(0);
    publish(100);
    advance(500);
    publish(100); // still second 0
    expect(meter.perSecond()).toBe(0); // second 0 is not complete yet
    advance(700); // 1.2 s
    publish(400); // second 1
    expect(meter.perSecond()).toBe(200); // second 0 only
    advance(900); // 2.1 s
    expect(meter.perSecond()).toBe(300); // (200 + 400) / 2
    advance(3000); // 5.1 s: the window (seconds 1..4) has lost second 0
    expect(meter.perSecond()).toBe(100); // 400 / 4
    advance(10_000); // long quiet: old buckets are not mistaken for new ones
    expect(meter.perSecond()).toBe(0);
    publish(40);
    advance(1000);
    expect(meter.perSecond()).toBe(10);
    expect(meter.total()).toBe(640);
  });

  it('stops counting once closed', () => {
    const { meter, publish } = setup();
    publish(5);
    meter.close();
    publish(5);
    expect(meter.total()).toBe(5);
  });
});
