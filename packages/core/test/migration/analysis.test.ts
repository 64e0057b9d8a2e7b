import { describe, expect, it } from 'vitest';
import { analyse, emptySideSample, metricOf, parseCheck, type SideSample } from '../../src/index.js';

function side(overrides: Partial<SideSample>): SideSample {
  return { ...emptySideSample(), ...overrides };
}

describe('migration checks', () => {
  it('parses absolute and relative checks', () => {
    expect(parseCheck('to.deliveredRate >= 0.95')).toMatchObject({
      side: 'to',
      metric: 'deliveredRate',
      operator: '>=',
      against: { kind: 'constant', value: 0.95 },
    });
    expect(parseCheck('to.p95DeliveryMs <= from.p95DeliveryMs * 1.5', 'speed')).toMatchObject({
      name: 'speed',
      against: {
        kind: 'metric',
        side: 'from',
        metric: 'p95DeliveryMs',
        adjust: { operator: '*', value: 1.5 },
      },
    });
    expect(parseCheck(' to.sendErrorRate<from.sendErrorRate+0.01 ').against).toMatchObject({
      adjust: { operator: '+', value: 0.01 },
    });
  });

  it('names what is wrong with a check', () => {
    expect(() => parseCheck('to.deliverdRate >= 0.9')).toThrow('unknown metric "deliverdRate"');
    expect(() => parseCheck('deliveredRate >= 0.9')).toThrow("must be a side's metric");
    expect(() => parseCheck('to.deliveredRate = 0.9')).toThrow('is not a check');
    expect(() => parseCheck('to.deliveredRate >= lots')).toThrow("must be a number or a side's metric");
    expect(() => parseCheck('to.deliveredRate >= from.nope - 1')).toThrow('unknown metric "nope"');
  });

  it('computes rates over the right denominators', () => {
    const sample = side({
      sends: 100,
      sendErrors: 5,
      permanentErrors: 20,
      settled: 50,
      delivered: 45,
      slow: 5,
    });
    expect(metricOf(sample, 'sendErrorRate')).toMatchObject({ value: 5 / 80, sample: 80 });
    expect(metricOf(sample, 'deliveredRate')).toMatchObject({ value: 0.9, sample: 50 });
    expect(metricOf(sample, 'slowRate').value).toBeCloseTo(0.1);
    expect(
      metricOf(side({ cost: { total: 3, delivered: 6, currency: 'USD' } }), 'costPerDelivered').value,
    ).toBe(0.5);
    expect(
      metricOf(
        side({ cost: { total: 3, delivered: 6, currency: undefined, mixedCurrencies: true } }),
        'costPerDelivered',
      ).value,
    ).toBeUndefined();
  });

  it('fails a check with a reason that shows both sides and the margin', () => {
    const result = analyse(
      {
        from: side({ settled: 200, delivered: 194 }),
        to: side({ settled: 200, delivered: 182 }),
      },
      [parseCheck('to.deliveredRate >= from.deliveredRate - 0.02')],
      { minSample: 100 },
    );
    expect(result.verdict).toBe('fail');
    expect(result.checks[0]?.reason).toBe('to.deliveredRate 0.910 < from.deliveredRate 0.970 - 0.02 = 0.950');
  });

  it('passes when every check passes', () => {
    const result = analyse(
      { from: side({ settled: 300, delivered: 290 }), to: side({ settled: 150, delivered: 147 }) },
      [parseCheck('to.deliveredRate >= from.deliveredRate - 0.02'), parseCheck('to.deliveredRate >= 0.95')],
      { minSample: 100 },
    );
    expect(result.verdict).toBe('pass');
    expect(result.checks.map((check) => check.verdict)).toEqual(['pass', 'pass']);
  });

  it('is inconclusive, never failing or passing, below the minimum sample of either side', () => {
    const result = analyse(
      { from: side({ settled: 500, delivered: 500 }), to: side({ settled: 12, delivered: 0 }) },
      [parseCheck('to.deliveredRate >= from.deliveredRate - 0.02')],
      { minSample: 100 },
    );
    expect(result.verdict).toBe('inconclusive');
    expect(result.checks[0]?.reason).toBe('to: 12 settled messages, below the minimum of 100');
    const fromShort = analyse(
      { from: side({ settled: 3, delivered: 3 }), to: side({ settled: 500, delivered: 10 }) },
      [parseCheck('to.deliveredRate >= from.deliveredRate')],
      { minSample: 100 },
    );
    expect(fromShort.checks[0]?.reason).toContain('from: 3 settled messages');
  });

  it('lets a failure win over an inconclusive check', () => {
    const result = analyse(
      { from: side({}), to: side({ sends: 500, sendErrors: 100 }) },
      [parseCheck('to.sendErrorRate <= 0.05'), parseCheck('to.deliveredRate >= 0.9')],
      { minSample: 100 },
    );
    expect(result.verdict).toBe('fail');
    expect(result.checks.map((check) => check.verdict)).toEqual(['fail', 'inconclusive']);
  });
});
