import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Table, TimestampMicrosecond, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, type Issue } from '../lib/errors.ts';
import { encodeParquet, toArrowTable } from '../lib/io/parquet.ts';
import { lastDays, parseInstant, readTraffic, trafficPartitions, type TrafficPartition } from '../lib/refresh/traffic.ts';
import { workspace } from './helpers.ts';

const folder = () => workspace('evalset-traffic-');
const lines = (...rows: unknown[]) => rows.map((row) => (typeof row === 'string' ? row : JSON.stringify(row)) + '\n').join('');

/** The issues of the InvalidInputError that `run` throws (failing the test when it throws something else, or nothing). */
function issuesOf(run: () => unknown): Issue[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).issues;
  }
  throw new Error('expected an InvalidInputError, but nothing was thrown');
}

describe('trafficPartitions', () => {
  it('lists the daily files by date and leaves dotfiles, other files and folders alone', () => {
    const dir = folder();
    const rel = (p: string) => relative(dir, p);
    for (const name of ['2026-11-20.jsonl', '2026-11-18.parquet', '2026-11-19.jsonl', 'README.md', '.gitkeep', '.2026-11-17.jsonl.swp'])
      writeFileSync(join(dir, name), '');
    mkdirSync(join(dir, 'archive'));
    expect(trafficPartitions(dir, rel)).toEqual([
      { date: '2026-11-18', path: join(dir, '2026-11-18.parquet') },
      { date: '2026-11-19', path: join(dir, '2026-11-19.jsonl') },
      { date: '2026-11-20', path: join(dir, '2026-11-20.jsonl') },
    ]);
  });

  it('gives no partitions when the folder does not exist', () => {
    expect(trafficPartitions(join(folder(), 'traffic'), (p) => p)).toEqual([]);
  });

  it('reports every misnamed file and every second file of a day at once, each by name', () => {
    const dir = folder();
    const names = [
      'traffic.jsonl',
      '2026-02-29.jsonl',
      '2026-11-20.csv',
      '2026-11-19.jsonl.gz',
      '2026-11-18.jsonl',
      '2026-11-18.parquet',
      '2026-11-17.jsonl',
    ];
    for (const name of names) writeFileSync(join(dir, name), '');
    const issues = issuesOf(() => trafficPartitions(dir, (p) => relative(dir, p)));
    expect(issues.map((i) => i.file).sort()).toEqual([
      '2026-02-29.jsonl',
      '2026-11-18.parquet',
      '2026-11-19.jsonl.gz',
      '2026-11-20.csv',
      'traffic.jsonl',
    ]);
    expect(issues.find((i) => i.file === '2026-02-29.jsonl')!.message).toMatch(/not a calendar date/);
    expect(issues.find((i) => i.file === '2026-11-18.parquet')!.message).toMatch(/as 2026-11-18\.jsonl does/);
  });
});

describe('lastDays', () => {
  const partitions: TrafficPartition[] = ['2026-10-30', '2026-11-01', '2026-11-02', '2026-11-05'].map((date) => ({ date, path: `${date}.jsonl` }));

  it('takes the calendar days that end on the newest partition, a missing day being a day without traffic', () => {
    expect(lastDays(partitions, 4).map((p) => p.date)).toEqual(['2026-11-02', '2026-11-05']);
    // Six days ending on 2026-11-05 start on 2026-10-31; seven start on 2026-10-30.
    expect(lastDays(partitions, 6).map((p) => p.date)).toEqual(['2026-11-01', '2026-11-02', '2026-11-05']);
    expect(lastDays(partitions, 7).map((p) => p.date)).toEqual(['2026-10-30', '2026-11-01', '2026-11-02', '2026-11-05']);
    // Across a month end: 2026-11-02 minus 3 days is 2026-10-30.
    expect(lastDays(partitions, 4, '2026-11-02').map((p) => p.date)).toEqual(['2026-10-30', '2026-11-01', '2026-11-02']);
    expect(lastDays([], 35)).toEqual([]);
    expect(() => lastDays(partitions, 0)).toThrow(RangeError);
  });
});

describe('parseInstant', () => {
  it('reads RFC 3339 date-times to the instant, offsets included', () => {
    expect(parseInstant('2026-11-20T09:12:00Z')).toBe(Date.UTC(2026, 10, 20, 9, 12, 0));
    expect(parseInstant('2026-11-20t09:12:00.5z')).toBe(Date.UTC(2026, 10, 20, 9, 12, 0, 500));
    expect(parseInstant('2026-11-20 09:12:00.123456789Z')).toBe(Date.UTC(2026, 10, 20, 9, 12, 0, 123));
    // RFC 3339 §5.8: 1985-04-12T19:20:50.52-04:00 is 23:20:50.52 UTC.
    expect(parseInstant('1985-04-12T19:20:50.52-04:00')).toBe(Date.UTC(1985, 3, 12, 23, 20, 50, 520));
    expect(parseInstant('2026-11-20T00:30:00+01:00')).toBe(Date.UTC(2026, 10, 19, 23, 30, 0));
    expect(parseInstant('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
  });

  it('refuses what is not an instant, saying why', () => {
    expect(parseInstant('2026-11-20T09:12:00')).toMatch(/no UTC offset/);
    expect(parseInstant('2026-11-20')).toMatch(/no UTC offset/);
    expect(parseInstant('2026-02-29T00:00:00Z')).toMatch(/not a calendar date/);
    expect(parseInstant('2026-11-20T24:00:00Z')).toMatch(/not a time of day/);
    expect(parseInstant('2026-11-20T09:12:00+0100')).toMatch(/not an RFC 3339/);
    expect(parseInstant('Fri, 20 Nov 2026 09:12:00 GMT')).toMatch(/not an RFC 3339/);
  });
});

describe('readTraffic', () => {
  it('reads the days it is given, each in order of instant then prompt, whatever the order of the lines', () => {
    const dir = folder();
    const rows = [
      { ts: '2026-11-20T10:00:00Z', prompt: 'b', task_category: 'reasoning', user: 'ignored' },
      { ts: '2026-11-20T10:00:00Z', prompt: 'a' },
      // 01:30 at UTC+2 is 23:30 the day before in UTC.
      { ts: '2026-11-21T01:30:00+02:00', prompt: 'late', task_category: null },
      { ts: '2026-11-20T00:00:00Z', prompt: 'first', task_category: 'summarization' },
    ];
    writeFileSync(join(dir, '2026-11-20.jsonl'), lines(...rows));
    writeFileSync(join(dir, '2026-11-19.jsonl'), lines({ ts: '2026-11-19T12:00:00Z', prompt: 'yesterday' }));
    const rel = (p: string) => relative(dir, p);
    const expected = [
      { date: '2026-11-19', prompts: [{ ts: '2026-11-19T12:00:00Z', prompt: 'yesterday' }] },
      {
        date: '2026-11-20',
        prompts: [
          { ts: '2026-11-20T00:00:00Z', prompt: 'first', task_category: 'summarization' },
          { ts: '2026-11-20T10:00:00Z', prompt: 'a' },
          { ts: '2026-11-20T10:00:00Z', prompt: 'b', task_category: 'reasoning' },
          { ts: '2026-11-21T01:30:00+02:00', prompt: 'late' },
        ],
      },
    ];
    expect(readTraffic(trafficPartitions(dir, rel), rel)).toEqual(expected);

    writeFileSync(join(dir, '2026-11-20.jsonl'), lines(...[...rows].reverse()));
    expect(readTraffic(trafficPartitions(dir, rel), rel)).toEqual(expected);
    // Only the partitions asked for are read: a broken day outside the window costs nothing.
    writeFileSync(join(dir, '2026-11-01.jsonl'), 'not json\n');
    expect(readTraffic(lastDays(trafficPartitions(dir, rel), 2), rel)).toEqual(expected);
  });

  it('collects every problem of every file, by file, line and field, and returns nothing', () => {
    const dir = folder();
    const rel = (p: string) => relative(dir, p);
    writeFileSync(
      join(dir, '2026-11-20.jsonl'),
      lines(
        { ts: '2026-11-20T08:00:00Z', prompt: 'fine' },
        '{"ts": "2026-11-20T08:00:00Z", "prompt": ',
        { ts: '2026-11-20T08:00:00Z' },
        { ts: '2026-11-20T08:00:00Z', prompt: '   ', task_category: 3 },
        { ts: '2026-11-20T08:00:00', prompt: 'no offset' },
        { ts: '2026-11-21T00:00:00Z', prompt: 'next day', task_category: '' },
        ['not', 'an', 'object'],
      ),
    );
    writeFileSync(join(dir, '2026-11-21.jsonl'), lines({ ts: 1795136400, prompt: 42 }));
    const issues = issuesOf(() => readTraffic(trafficPartitions(dir, rel), rel));
    expect(issues.map(({ file, line, field }) => [file, line, field ?? ''])).toEqual([
      ['2026-11-20.jsonl', 2, ''],
      ['2026-11-20.jsonl', 3, 'prompt'],
      ['2026-11-20.jsonl', 4, 'prompt'],
      ['2026-11-20.jsonl', 4, 'task_category'],
      ['2026-11-20.jsonl', 5, 'ts'],
      ['2026-11-20.jsonl', 6, 'ts'],
      ['2026-11-20.jsonl', 6, 'task_category'],
      ['2026-11-20.jsonl', 7, ''],
      ['2026-11-21.jsonl', 1, 'prompt'],
      ['2026-11-21.jsonl', 1, 'ts'],
    ]);
    expect(issues[5].message).toMatch(/falls on 2026-11-21 in UTC, but this file holds 2026-11-20/);
  });

  it('reads Parquet partitions, string or zoned timestamp `ts`, row numbers as lines', () => {
    const dir = folder();
    const rel = (p: string) => relative(dir, p);
    const rows = [
      { ts: '2026-11-20T09:00:00Z', prompt: 'from parquet', task_category: 'extraction' },
      { ts: '2026-11-20T08:00:00+00:00', prompt: 'earlier', task_category: null },
    ];
    writeFileSync(join(dir, '2026-11-20.parquet'), encodeParquet(toArrowTable({ ts: 'string', prompt: 'string', task_category: 'string?' }, rows)));
    const zoned = new Table({
      ts: vectorFromArray([Date.UTC(2026, 10, 21, 7, 30)], new TimestampMicrosecond('UTC')),
      prompt: vectorFromArray(['zoned'], new Utf8()),
    });
    writeFileSync(join(dir, '2026-11-21.parquet'), encodeParquet(zoned));
    expect(readTraffic(trafficPartitions(dir, rel), rel)).toEqual([
      {
        date: '2026-11-20',
        prompts: [
          { ts: '2026-11-20T08:00:00+00:00', prompt: 'earlier' },
          { ts: '2026-11-20T09:00:00Z', prompt: 'from parquet', task_category: 'extraction' },
        ],
      },
      { date: '2026-11-21', prompts: [{ ts: '2026-11-21T07:30:00.000Z', prompt: 'zoned' }] },
    ]);

    const naive = new Table({
      ts: vectorFromArray([Date.UTC(2026, 10, 22)], new TimestampMicrosecond()),
      prompt: vectorFromArray(['naive'], new Utf8()),
    });
    writeFileSync(join(dir, '2026-11-22.parquet'), encodeParquet(naive));
    writeFileSync(join(dir, '2026-11-23.parquet'), encodeParquet(toArrowTable({ ts: 'string' }, [{ ts: '2026-11-23T00:00:00Z' }])));
    writeFileSync(join(dir, '2026-11-24.parquet'), 'not parquet');
    writeFileSync(
      join(dir, '2026-11-25.parquet'),
      encodeParquet(toArrowTable({ ts: 'string', prompt: 'string' }, [{ ts: '2026-11-24T00:00:00Z', prompt: 'x' }])),
    );
    const issues = issuesOf(() => readTraffic(trafficPartitions(dir, rel), rel));
    expect(issues.map(({ file, line, field }) => [file, line ?? null, field ?? ''])).toEqual([
      ['2026-11-22.parquet', null, 'ts'],
      ['2026-11-23.parquet', null, 'prompt'],
      ['2026-11-24.parquet', null, ''],
      ['2026-11-25.parquet', 1, 'ts'],
    ]);
  });
});
