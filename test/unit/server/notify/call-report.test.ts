import { describe, expect, it } from 'vitest';
import { latestResult, type StoredCallResult } from '../../../../server/app/call-results.js';
import { parseAliyunVoiceReports, parseTencentVoiceCallback } from '../../../../server/notify/call-report.js';

// The providers' documented callback bodies read into one vocabulary (issue 13).

const final = (code: string, extra: Record<string, unknown> = {}) => ({
  status_code: code,
  call_id: 'C',
  end_time: '2026-12-02 03:00:40',
  ...extra,
});

describe('Alibaba Cloud voice reports', () => {
  it.each([
    ['200000', 'answered'],
    ['200001', 'answered'],
    ['200002', 'busy'],
    ['200003', 'no_answer'],
    ['200005', 'unreachable'],
    ['200007', 'unreachable'],
    ['200010', 'unreachable'],
    ['200011', 'unreachable'],
    ['200119', 'throttled'],
    ['200102', 'answered'],
    ['209999', 'failed'],
  ])('when status_code %s is reported, then the call is %s', (code, result) => {
    const parsed = parseAliyunVoiceReports([final(code)]);
    expect(parsed).toEqual({
      ok: true,
      reports: [expect.objectContaining({ callId: 'C', result })],
      skipped: 0,
    });
  });

  it('when the end time is given, then it is read as Beijing time; a provider message is kept as the detail', () => {
    const parsed = parseAliyunVoiceReports([final('200003', { status_msg: '用户未接听' })]);
    expect(parsed).toMatchObject({ reports: [{ at: Date.parse('2026-12-01T19:00:40Z'), detail: '用户未接听' }] });
  });

  it('when an unknown code comes with smart_status_code, then that says what happened', () => {
    expect(parseAliyunVoiceReports([final('200999', { smart_status_code: 'USER_BUSY' })])).toMatchObject({
      reports: [{ result: 'busy' }],
    });
  });

  it.each(['200101', '200201', '200100'])('when progress %s is reported, then it is skipped, not a result', (code) => {
    expect(parseAliyunVoiceReports([{ status_code: code, call_id: 'C', status_time: 'x' }])).toEqual({
      ok: true,
      reports: [],
      skipped: 1,
    });
  });

  it.each([[{ call_id: 'C' }], [{ status_code: '200000' }], [null], ['text']])(
    'when an item is %j, then it is skipped',
    (item) => {
      expect(parseAliyunVoiceReports([item])).toEqual({ ok: true, reports: [], skipped: 1 });
    },
  );

  it('when the body is not an array or too long, then it is refused with a reason', () => {
    expect(parseAliyunVoiceReports({})).toMatchObject({ ok: false });
    expect(parseAliyunVoiceReports(Array.from({ length: 501 }, () => final('200000')))).toMatchObject({ ok: false });
  });
});

describe('Tencent Cloud voice callbacks', () => {
  it.each([
    ['0', 'answered'],
    ['1', 'no_answer'],
    ['2', 'failed'],
  ])('when voiceprompt_callback result %s, then the call is %s', (result, word) => {
    expect(
      parseTencentVoiceCallback({ voiceprompt_callback: { result, callid: 'T', end_calltime: '1764615641' } }),
    ).toEqual({
      ok: true,
      reports: [expect.objectContaining({ callId: 'T', result: word, at: 1764615641000 })],
      skipped: 0,
    });
  });

  it.each([
    [1, 'unreachable'],
    [2, 'busy'],
    [5, 'no_answer'],
    [8, 'unreachable'],
    [20, 'no_answer'],
    [99, 'failed'],
  ])('when voice_failure_callback failure_code %s, then the call is %s', (code, word) => {
    expect(
      parseTencentVoiceCallback({
        voice_failure_callback: { callid: 'T', failure_code: code, failure_reason: '原因' },
      }),
    ).toMatchObject({ reports: [{ result: word, detail: '原因' }] });
  });

  it('when keys are reported or the shape is unknown, then nothing is recorded / the body is refused', () => {
    expect(parseTencentVoiceCallback({ voicekey_callback: { callid: 'T', keypress: '1' } })).toEqual({
      ok: true,
      reports: [],
      skipped: 1,
    });
    expect(parseTencentVoiceCallback({ something: {} })).toMatchObject({ ok: false });
    expect(parseTencentVoiceCallback([])).toMatchObject({ ok: false });
  });
});

describe('the result shown for a call', () => {
  const r = (result: StoredCallResult['result'], at: number): StoredCallResult => ({
    outboxId: 1,
    result,
    detail: '',
    at,
    receivedAt: at,
  });
  it.each([
    [[], null],
    [[r('no_answer', 1)], 'no_answer'],
    [[r('busy', 1), r('no_answer', 2)], 'no_answer'],
    [[r('answered', 1), r('failed', 2)], 'answered'],
    [[r('failed', 1), r('answered', 2)], 'answered'],
  ])('when %j were reported, then %s shows', (results, shown) => {
    expect(latestResult(results)?.result ?? null).toBe(shown);
  });
});
